// SPDX-License-Identifier: MIT
/*
 * --fault server-restart: hpserver stops once the pair has punched; the
 * rest of their chat must not need it (the path is theirs). After it, the
 * server starts again and a new pair (carol and dave) must still meet.
 */
#include "fault.h"
#include "fault_lib.h"
#include "report.h"
#include "scenario_int.h"

static enum lab_fault_ask restart_inject(struct lab_fault_ctx *c)
{
	c->feed_limit = c->messages;
	c->server_stopped = true;
	lab_report_step(c->rep, "fault server-restart: hpserver stopped (SIGTERM) after the "
			"punch; the rest of the chat must not need it");
	return LAB_FAULT_ASK_STOP_SERVER;
}

/* Once the first pair is over (and all went well): the second pair. */
static enum lab_fault_ask restart_tick(struct lab_fault_ctx *c)
{
	if (c->pair2_asked || !run_pair_finished(c->side, 0) ||
	    c->rep->result != LAB_RESULT_PASS)
		return LAB_FAULT_ASK_NOTHING;
	c->pair2_asked = true;
	lab_report_step(c->rep, "the chat finished without the server; starting hpserver again");
	return LAB_FAULT_ASK_PAIR2;
}

static bool restart_done(const struct lab_fault_ctx *c)
{
	if (!run_pair_finished(c->side, 0))
		return false;
	return c->rep->result != LAB_RESULT_PASS ||
	       (c->pair2_asked && run_pair_finished(c->side, 2));
}

static bool side_clean_exit(const struct side *s)
{
	return s->started && s->rep->received == 1 && s->proc.exited && s->proc.exit_code == 0;
}

static void restart_verify(struct lab_fault_ctx *c)
{
	struct lab_report *rep = c->rep;
	bool delivered = rep->result == LAB_RESULT_PASS;
	bool pair2 = side_clean_exit(&c->side[2]) && side_clean_exit(&c->side[3]);
	unsigned rc0 = lab_fault_connects_since(c, 0), rc1 = lab_fault_connects_since(c, 1);

	rep->fault_ok = delivered && c->server_stopped && rc0 == 0 && rc1 == 0 && pair2;
	snprintf(rep->fault_detail, sizeof(rep->fault_detail),
		 "after the server stopped the chat went on without reconnecting "
		 "(reconnects: %s %u, %s %u); after the restart %s and %s %s", c->side[0].nick,
		 rc0, c->side[1].nick, rc1, c->side[2].nick, c->side[3].nick,
		 pair2 ? "met and exchanged a line each way" :
			 "did NOT both meet and exchange their lines");
	lab_report_step(rep, "server-restart: %s", rep->fault_detail);
	if (!rep->fault_ok && delivered)
		lab_report_fail(rep, LAB_RESULT_FAIL, "server-restart: %s", rep->fault_detail);
}

const struct lab_fault_ops lab_fault_server_restart = {
	.name = "server-restart",
	.help = "the server dies after the punch and comes back; a new pair must still meet",
	.extra_ms = 15000,
	.inject = restart_inject,
	.tick = restart_tick,
	.done = restart_done,
	.verify = restart_verify,
};
