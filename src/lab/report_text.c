// SPDX-License-Identifier: MIT
/*
 * The narrative writer of a run's report: each step as it happens, then
 * PASS or FAIL with the reason; on failure the clients' last words.
 */
#include <inttypes.h>
#include <string.h>

#include "commands.h"
#include "report.h"
#include "report_int.h"

static void text_step(const struct lab_step *s, FILE *f)
{
	const char *p = s->text, *nl;

	fprintf(f, "[%6" PRIu64 " ms] ", s->ms);
	/* continuation lines line up under the text */
	while ((nl = strchr(p, '\n')) != NULL) {
		fprintf(f, "%.*s\n            ", (int)(nl - p), p);
		p = nl + 1;
	}
	fprintf(f, "%s\n", p);
	fflush(f);
}

static void text_finish(const struct lab_report *r, FILE *f)
{
	if (r->result == LAB_RESULT_PASS)
		fputs("PASS\n", f);
	else
		fprintf(f, "FAIL: %s\n", r->reason[0] ? r->reason : "unknown");
	fflush(f);
}

static void text_last_words(const struct lab_report *r, FILE *f)
{
	const struct lab_report_side *side[2] = { &r->a, &r->b };

	for (int i = 0; i < 2; i++)
		if (r->last_words[i][0])
			fprintf(f, "--- %s's last words:\n%s\n", side[i]->nick, r->last_words[i]);
}

/* The command is in the line only as the user typed it (lab_prog()). */
static void text_error(FILE *f, const char *cmd, const char *reason)
{
	(void)cmd;
	fprintf(f, "%s: %s\n", lab_prog_typed(), reason);
	fflush(f);
}

const struct lab_report_writer lab_report_text = {
	.step = text_step,
	.finish = text_finish,
	.last_words = text_last_words,
	.error = text_error,
};
