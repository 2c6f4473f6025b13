// SPDX-License-Identifier: MIT
/*
 * A run's report: what it found, collected as it happens (steps, the first
 * failure, the numbers), and handed to the writer of its output format.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "clock.h"
#include "report.h"
#include "report_int.h"

/* One writer per format, in format.h's order. */
static const struct lab_report_writer *const writers[LAB_FORMAT_COUNT] = {
	[LAB_FORMAT_TEXT] = &lab_report_text,
	[LAB_FORMAT_JSON] = &lab_report_json,
	[LAB_FORMAT_JUNIT] = &lab_report_junit,
	[LAB_FORMAT_MARKDOWN] = &lab_report_markdown,
	[LAB_FORMAT_HTML] = &lab_report_html,
};

static void side_init(struct lab_report_side *s)
{
	memset(s, 0, sizeof(*s));
	s->connect_ms = s->direct_ms = -1;
	s->exit_code = -1;
	s->probe_ms = -1;
	s->rtt_median_us = s->rtt_p95_us = -1;
}

void lab_report_init(struct lab_report *r, enum lab_format format, FILE *out, uint64_t t0)
{
	memset(r, 0, sizeof(*r));
	r->format = format;
	r->out = out;
	r->t0 = t0;
	r->result = LAB_RESULT_PASS;
	r->connect_ms = r->direct_ms = r->setup_ms = r->teardown_ms = r->wall_ms = -1;
	snprintf(r->path, sizeof(r->path), "none");
	r->hairpin = -1;
	snprintf(r->topology, sizeof(r->topology), "home");
	r->rtt_median_us = r->rtt_p95_us = -1;
	r->fault_ms = -1;
	side_init(&r->a);
	side_init(&r->b);
}

void lab_report_step(struct lab_report *r, const char *fmt, ...)
{
	struct lab_step tmp, *s;
	va_list ap;

	/* past the table's end, still told, but only the first ones are kept */
	s = r->nsteps < LAB_REPORT_STEPS ? &r->steps[r->nsteps++] : &tmp;
	s->ms = hp_clock_ms() - r->t0;
	va_start(ap, fmt);
	vsnprintf(s->text, sizeof(s->text), fmt, ap);
	va_end(ap);
	if (r->out && writers[r->format]->step)
		writers[r->format]->step(s, r->out);
}

void lab_report_fail(struct lab_report *r, enum lab_result res, const char *fmt, ...)
{
	va_list ap;

	if (r->result != LAB_RESULT_PASS)
		return;
	r->result = res;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
}

int lab_report_exit_code(const struct lab_report *r)
{
	switch (r->result) {
	case LAB_RESULT_PASS: return 0;
	case LAB_RESULT_FAIL: return 1;
	case LAB_RESULT_ERROR: return 2;
	}
	return 2;
}

void lab_report_finish(const struct lab_report *r)
{
	if (r->out)
		writers[r->format]->finish(r, r->out);
}

void lab_report_write(const struct lab_report *r, enum lab_format fmt, FILE *f)
{
	writers[fmt]->finish(r, f);
}

void lab_report_error(FILE *f, enum lab_format fmt, const char *cmd, const char *reason)
{
	if (writers[fmt]->error)
		writers[fmt]->error(f, cmd, reason);
}

int lab_report_refuse(enum lab_format fmt, const char *cmd, const char *reason)
{
	lab_report_error(stderr, LAB_FORMAT_TEXT, cmd, reason);
	if (fmt != LAB_FORMAT_TEXT)
		lab_report_error(stdout, fmt, cmd, reason);
	return 2;
}

void lab_report_last_words(const struct lab_report *r, FILE *f)
{
	if (writers[r->format]->last_words)
		writers[r->format]->last_words(r, f);
}
