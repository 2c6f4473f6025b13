// SPDX-License-Identifier: MIT
/*
 * The faults' table and the machinery every mid-chat fault shares: the
 * chat's first half crosses, the fault's inject runs, then its tick after
 * every poll round until it is done; verify checks the recovery it is
 * about (docs/lab.md). A fault is one row of faults.def plus its
 * fault_<name>.c.
 */
#include <string.h>

#include "clock.h"
#include "fault.h"
#include "report.h"
#include "scenario_int.h"
#include "topo.h"

static const struct lab_fault_ops *const faults[LAB_FAULT_COUNT] = {
	[LAB_FAULT_NONE] = NULL,
#define LAB_FAULT(id, sym) [LAB_FAULT_##id] = &lab_fault_##sym,
#include "faults.def"
#undef LAB_FAULT
};

const struct lab_fault_ops *lab_fault_get(enum lab_fault f)
{
	return f < LAB_FAULT_COUNT ? faults[f] : NULL;
}

enum lab_fault lab_fault_find(const char *name)
{
	for (int f = 0; f < LAB_FAULT_COUNT; f++)
		if (faults[f] && !strcmp(faults[f]->name, name))
			return (enum lab_fault)f;
	return LAB_FAULT_NONE;
}

const char *lab_fault_names(void)
{
	static char names[LAB_FAULT_COUNT * 24];
	size_t off = 0;

	if (names[0])
		return names;
	for (int f = 0; f < LAB_FAULT_COUNT && off < sizeof(names); f++)
		if (faults[f])
			off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s",
						off ? ", " : "", faults[f]->name);
	return names;
}

void lab_fault_init(struct lab_fault_ctx *c, enum lab_fault f, unsigned messages,
		    const struct side *side, struct lab_topo *topo, struct lab_report *rep,
		    const char *server_ep)
{
	*c = (struct lab_fault_ctx){ .ops = lab_fault_get(f), .messages = messages, .side = side,
				     .topo = topo, .rep = rep, .server_ep = server_ep,
				     .phase = LAB_FAULT_OFF, .feed_limit = messages,
				     .map_before = -1, .map_after = -1 };
}

/* The one place the phase changes. */
static void phase_set(struct lab_fault_ctx *c, enum lab_fault_phase p)
{
	c->phase = p;
}

void lab_fault_topo_opts(const struct lab_fault_ctx *c, struct lab_topo_opts *o)
{
	if (c->ops && c->ops->udp_timeout && !o->udp_timeout)
		o->udp_timeout = c->ops->udp_timeout;
}

const char *const *lab_fault_client_opts(const struct lab_fault_ctx *c)
{
	return c->ops ? c->ops->client_opts : NULL;
}

int lab_fault_extra_ms(const struct lab_fault_ctx *c)
{
	return c->ops ? c->ops->extra_ms : 0;
}

void lab_fault_setup(struct lab_fault_ctx *c)
{
	if (c->ops && c->ops->setup)
		c->ops->setup(c);
}

void lab_fault_begin(struct lab_fault_ctx *c)
{
	unsigned n = c->messages;

	if (!c->ops || !c->ops->inject) {
		phase_set(c, LAB_FAULT_OFF);
		c->feed_limit = n;
		return;
	}
	phase_set(c, LAB_FAULT_FIRST);
	c->feed_limit = n > 1 ? (n + 1) / 2 : n;
	lab_report_step(c->rep, "fault %s comes once %u of %u lines crossed each way",
			c->rep->fault, c->feed_limit, n);
}

/* The first half crossed both ways and is acknowledged. */
static bool half_done(const struct lab_fault_ctx *c)
{
	for (int i = 0; i < 2; i++) {
		const struct side *s = &c->side[i];

		if (s->rep->received < c->feed_limit ||
		    (s->acked_events < c->feed_limit && s->max_acked < (int64_t)c->feed_limit))
			return false;
	}
	return true;
}

static enum lab_fault_ask inject(struct lab_fault_ctx *c)
{
	for (int i = 0; i < 2; i++) {
		c->connects_at[i] = c->side[i].rep->connects;
		c->reconnects_at[i] = c->side[i].rep->reconnects;
		c->moves_at[i] = c->side[i].rep->moves;
	}
	c->rep->fault_ms = (int64_t)(hp_clock_ms() - c->rep->t0);
	phase_set(c, LAB_FAULT_PLAYING);
	return c->ops->inject(c);
}

enum lab_fault_ask lab_fault_tick(struct lab_fault_ctx *c)
{
	switch (c->phase) {
	case LAB_FAULT_OFF:
	case LAB_FAULT_OVER:
		return LAB_FAULT_ASK_NOTHING;
	case LAB_FAULT_FIRST:
		if (run_pair_finished(c->side, 0)) {
			phase_set(c, LAB_FAULT_OVER); /* a client ended early: verify says why */
			return LAB_FAULT_ASK_NOTHING;
		}
		return half_done(c) ? inject(c) : LAB_FAULT_ASK_NOTHING;
	case LAB_FAULT_PLAYING:
		return c->ops->tick ? c->ops->tick(c) : LAB_FAULT_ASK_NOTHING;
	}
	return LAB_FAULT_ASK_NOTHING;
}

int lab_fault_wait_ms(const struct lab_fault_ctx *c)
{
	return c->until ? run_ms_left(c->until) : -1;
}

bool lab_fault_done(const struct lab_fault_ctx *c)
{
	switch (c->phase) {
	case LAB_FAULT_OFF:
	case LAB_FAULT_OVER:
		return true;
	case LAB_FAULT_FIRST:
		return false;
	case LAB_FAULT_PLAYING:
		return !c->ops->done || c->ops->done(c);
	}
	return true;
}

void lab_fault_verify(struct lab_fault_ctx *c)
{
	struct lab_report *rep = c->rep;

	if (!c->ops)
		return;
	if (c->ops->inject && rep->fault_ms < 0) {
		snprintf(rep->fault_detail, sizeof(rep->fault_detail), "never injected: the chat's "
			 "first half did not cross");
		lab_report_fail(rep, LAB_RESULT_FAIL, "%s: %s", rep->fault, rep->fault_detail);
		return;
	}
	c->ops->verify(c);
}
