// SPDX-License-Identifier: MIT
/*
 * --fault server-down: no server at all. Nobody can meet, so the pass is
 * both clients failing clearly: an error event and a non-zero exit within
 * their --timeout.
 */
#include "fault.h"
#include "report.h"
#include "scenario_int.h"

#define DOWN_TIMEOUT_S 3     /* hpclient --timeout with no server */
#define DOWN_SLACK_MS 2000   /* how much later than that an exit still counts */
#define STR_(x) #x
#define STR(x) STR_(x)

static const char *const client_opts[] = { "--timeout", STR(DOWN_TIMEOUT_S), NULL };

static void down_setup(struct lab_fault_ctx *c)
{
	lab_report_step(c->rep, "fault server-down: hpserver is not started; %s is "
			"unreachable from the start", c->server_ep);
}

static void down_verify(struct lab_fault_ctx *c)
{
	char detail[320];
	size_t off = 0;
	bool ok = true;

	for (int i = 0; i < 2; i++) {
		const struct side *s = &c->side[i];
		int64_t took = s->exited_ms ? (int64_t)(s->exited_ms - s->started_ms) : -1;
		const char *why = s->error;
		bool this_ok = s->proc.exited && s->proc.exit_code != 0 && why[0] &&
			       took >= 0 && took <= DOWN_TIMEOUT_S * 1000 + DOWN_SLACK_MS;

		if (!why[0])
			why = "no error event";
		if (off < sizeof(detail))
			off += (size_t)snprintf(detail + off, sizeof(detail) - off,
						"%s%s exited %d after %lld ms: %s", i ? "; " : "",
						s->nick, s->proc.exited ? s->proc.exit_code : -1,
						(long long)took, why);
		ok = ok && this_ok;
	}
	snprintf(c->rep->fault_detail, sizeof(c->rep->fault_detail), "%s", detail);
	c->rep->fault_ok = ok;
	if (ok)
		lab_report_step(c->rep, "fault server-down: both clients gave up clearly within "
				"their --timeout %d s (+%d ms): %s", DOWN_TIMEOUT_S, DOWN_SLACK_MS,
				detail);
	else
		lab_report_fail(c->rep, LAB_RESULT_FAIL, "server-down: the clients did not both "
				"fail clearly within %d s: %s", DOWN_TIMEOUT_S, detail);
}

const struct lab_fault_ops lab_fault_server_down = {
	.name = "server-down",
	.help = "no server at all: both clients must fail clearly",
	.flags = LAB_FAULT_NO_SERVER | LAB_FAULT_CLIENTS_FAIL,
	.client_opts = client_opts,
	.expect = "none",
	.theory_note = " (no server: nobody can meet)",
	.setup = down_setup,
	.verify = down_verify,
};
