// SPDX-License-Identifier: MIT
/*
 * The markdown writer of a run's report (--markdown FILE): a heading and
 * one table (GitHub-flavoured markdown) fit for a CI step summary page,
 * such as GitHub's $GITHUB_STEP_SUMMARY. Every value goes through
 * lab_md_write, so no reason can break the table.
 */
#include <inttypes.h>
#include <string.h>

#include "escape.h"
#include "report.h"
#include "report_int.h"

static void md_row(FILE *f, const char *key, const char *val)
{
	fprintf(f, "| %s | ", key);
	lab_md_write(f, val[0] ? val : "-");
	fputs(" |\n", f);
}

static void md_ms(char *buf, size_t len, int64_t ms)
{
	if (ms < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%" PRId64 " ms", ms);
}

/* Each side's lines the peer showed: "alice -> bob 3/3, bob -> alice 3/3",
 * the arrow U+2192 (markdown would want "->" escaped). */
static void md_messages(char *buf, size_t len, const struct lab_report *r)
{
	snprintf(buf, len, "%s \u2192 %s %u/%u, %s \u2192 %s %u/%u", r->a.nick, r->b.nick,
		 r->a.delivered, r->messages, r->b.nick, r->a.nick, r->b.delivered, r->messages);
}

static void md_finish(const struct lab_report *r, FILE *f)
{
	static const char *const results[] = { "PASS", "FAIL", "ERROR" };
	char text[sizeof(r->fault_detail) + 64];

	fprintf(f, "### hplab run: %s: ", results[r->result]);
	lab_md_write(f, lab_report_title(r, text, sizeof(text)));
	fputs("\n\n| | |\n|---|---|\n", f);
	md_row(f, "result", results[r->result]);
	snprintf(text, sizeof(text), "%s (theory: %s)", r->path,
		 r->expected[0] ? r->expected : "-");
	md_row(f, "path", text);
	md_ms(text, sizeof(text), r->connect_ms);
	md_row(f, "connect", text);
	md_messages(text, sizeof(text), r);
	md_row(f, "messages", text);
	if (r->fault[0]) {
		snprintf(text, sizeof(text), "%s: %s%s%s", r->fault, r->fault_ok ? "ok" : "not ok",
			 r->fault_detail[0] ? ", " : "", r->fault_detail);
		md_row(f, "fault", text);
	}
	md_ms(text, sizeof(text), r->wall_ms);
	md_row(f, "time", text);
	md_row(f, "reason", r->reason);
	fputc('\n', f);
}

const struct lab_report_writer lab_report_markdown = {
	.finish = md_finish,
};
