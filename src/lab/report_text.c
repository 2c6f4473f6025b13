// SPDX-License-Identifier: MIT
/*
 * The narrative writer of a run's report: each step as it happens, then
 * PASS or FAIL with the reason; on failure the clients' last words.
 */
#include <inttypes.h>
#include <string.h>

#include "commands.h"
#include "plan.h"
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

/* Per NAT: what the summary at the end of the story counts. */
static void text_nats(const struct lab_trace *t, FILE *f)
{
	for (int node = 0; node < LAB_NODE_COUNT; node++) {
		const struct lab_tr_nat *c = &t->nat[node];
		unsigned dropped = 0;

		if (!lab_plan_nodes[node].nat)
			continue;
		for (int k = 0; k < LAB_RULE_COUNT; k++)
			dropped += c->drops[k];
		if (!c->maps && !c->forwarded && !dropped)
			continue;
		fprintf(f, "  %s: %u mapping%s made, %u datagram%s forwarded, ", lab_plan_nodes[node].suffix,
			c->maps, c->maps == 1 ? "" : "s", c->forwarded, c->forwarded == 1 ? "" : "s");
		if (!dropped)
			fputs("none dropped", f);
		for (int k = LAB_RULE_NONE + 1, first = 1; k < LAB_RULE_COUNT; k++)
			if (c->drops[k]) {
				fprintf(f, "%s%u dropped by %s", first ? "" : ", ", c->drops[k],
					lab_trace_rule_name((enum lab_tr_rule)k));
				first = 0;
			}
		fputc('\n', f);
	}
}

/* The glass box (--explain): the resolved trace on one clock, after the
 * run (resolving needs every record), then the NATs' counts. */
static void text_trace(const struct lab_trace *t, FILE *f)
{
	char line[320];

	fputs("--- the run explained (docs/explain.md): clients, mappings and datagrams\n", f);
	for (size_t i = 0; i < t->n; i++) {
		lab_trace_describe(t, i, line, sizeof(line));
		fprintf(f, "%+10.3f ms  %s\n", (double)t->ev[i].us / 1000.0, line);
	}
	if (t->lost)
		fprintf(f, "  (%u records lost: the list was full or the kernel dropped them)\n", t->lost);
	fputs("--- per NAT:\n", f);
	text_nats(t, f);
}

static void text_finish(const struct lab_report *r, FILE *f)
{
	if (r->trace.on && r->trace.tell)
		text_trace(&r->trace, f);
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
