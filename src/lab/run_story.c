// SPDX-License-Identifier: MIT
/*
 * The narrative of `labrun run` that is not an event: the topology as
 * built, the impairments asked for (and the path RTT they add), theory's
 * prediction, and the names of signals. Also fills the report's fields
 * those steps are about.
 */
#include <signal.h>
#include <stdio.h>

#include "args.h"
#include "impair.h"
#include "nat.h"
#include "plan.h"
#include "report.h"
#include "scenario_int.h"
#include "theory.h"

/* One node's line: its interfaces, then its role and NAT. */
static size_t node_text(char *text, size_t len, const struct lab_topo *t, int n)
{
	size_t off = (size_t)snprintf(text, len, "\n  %-4s", lab_plan_nodes[n].suffix);

	for (size_t i = 0; i < t->plan->nlinks * 2 && off < len; i++) {
		const struct lab_iface *f = i % 2 ? &t->plan->links[i / 2].b : &t->plan->links[i / 2].a;

		if (f->node == (enum lab_node)n && f->addr)
			off += (size_t)snprintf(text + off, len - off, " %s %s/%u", f->name, f->addr,
						f->prefixlen);
	}
	for (size_t i = 0; i < t->plan->nbridges && off < len; i++) {
		const struct lab_bridge *br = &t->plan->bridges[i];

		if (br->node == (enum lab_node)n)
			off += (size_t)snprintf(text + off, len - off, " %s %s/%u (switch: %s %s)",
						br->name, br->addr, br->prefixlen, br->ports[0],
						br->ports[1]);
	}
	if (off < len)
		off += (size_t)snprintf(text + off, len - off, "  (%s%s%s%s%s)",
					lab_plan_nodes[n].role, t->nat[n] ? ", NAT " : "",
					t->nat[n] ? t->nat[n]->name : "",
					t->nat[n] && t->opts.no_firewall ? ", no firewall" : "",
					t->nat[n] && (t->plan->one_router ||
						      (t->plan->shared_cgn && n == LAB_NODE_CA)) ?
						(t->opts.hairpin ? ", hairpin on" : ", hairpin off") :
						"");
	return off;
}

void run_story_topology(struct lab_report *rep, const struct lab_topo *t)
{
	char text[LAB_REPORT_STEP_LEN];
	size_t off = 0;
	int n, nodes = 0;

	for (n = 0; n < LAB_NODE_COUNT; n++)
		nodes += lab_plan_has_node(t->plan, (enum lab_node)n);
	off += (size_t)snprintf(text, sizeof(text),
				"topology built in %lld ms: %d namespaces %s-*, %s%s",
				(long long)rep->setup_ms, nodes, t->prefix,
				lab_topologies[t->plan->topology].name, t->plan->isolated ? " (same NAT: both hosts behind rA)" :
				t->plan->one_router ? " (same LAN: both hosts on rA's switch)" : "");
	for (n = 0; n < LAB_NODE_COUNT && off < sizeof(text); n++)
		if (lab_plan_has_node(t->plan, (enum lab_node)n))
			off += node_text(text + off, sizeof(text) - off, t, n);
	if (t->opts.udp_timeout && off < sizeof(text))
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"\n  routers forget idle UDP mappings after %u s",
					t->opts.udp_timeout);
	lab_report_step(rep, "%s", text);
}

/* What was asked, into the report; the path RTT the delays add: A -> B
 * crosses rA's wan side and rB's once each, B -> A again (same NAT: rA's
 * lan ports only, once each way). */
void run_story_impair(struct run *r)
{
	const struct lab_args *a = r->args;
	struct lab_report *rep = r->rep;
	char text[LAB_REPORT_STEP_LEN];
	size_t off = 0;
	int i, nr = lab_args_plan(a)->one_router ? 1 : 2;

	for (i = 0; i < 2; i++) {
		rep->imp_delay_us[i] = a->imp[i].delay_us;
		rep->imp_jitter_us[i] = a->imp[i].jitter_us;
		rep->imp_loss_ppm[i] = a->imp[i].loss_ppm;
		rep->imp_reorder_ppm[i] = a->imp[i].reorder_ppm;
		rep->imp_dup_ppm[i] = a->imp[i].dup_ppm;
	}
	rep->impaired = lab_impair_active(&a->imp[0]) || (nr == 2 && lab_impair_active(&a->imp[1]));
	if (!rep->impaired)
		return;
	rep->path_rtt_us = 2 * ((int64_t)a->imp[0].delay_us + (nr == 2 ? a->imp[1].delay_us : 0));
	off += (size_t)snprintf(text, sizeof(text), "impairments (each direction through the "
				"router, udp only):");
	for (i = 0; i < nr && off < sizeof(text); i++) {
		const struct lab_impair *m = &a->imp[i];

		if (!lab_impair_active(m)) {
			off += (size_t)snprintf(text + off, sizeof(text) - off, "\n  r%c wan: none",
						'A' + i);
			continue;
		}
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"\n  r%c wan: delay %.3g ms +- %.3g ms, loss %.4g %%, "
					"reorder %.4g %%, duplicate %.4g %%",
					'A' + i, m->delay_us / 1000.0, m->jitter_us / 1000.0,
					m->loss_ppm / 1e4, m->reorder_ppm / 1e4, m->dup_ppm / 1e4);
	}
	if (off < sizeof(text))
		snprintf(text + off, sizeof(text) - off,
			 "\n  configured path RTT %s <-> %s: %.3g ms (plus the lab's own)",
			 r->side[0].nick, r->side[1].nick, rep->path_rtt_us / 1000.0);
	lab_report_step(rep, "%s", text);
}

/* The prediction for this run's routers, from their RFC 4787 properties. */
const char *run_predict(const struct lab_topo *t, unsigned spray_probes, double *p_direct)
{
	struct lab_spray s = lab_spray_defaults();
	struct lab_prediction p;
	struct lab_theory_case c = { .relay = true,
				     .same_nat = t->plan->isolated || t->plan->shared_cgn,
				     .same_lan = t->plan->one_router && !t->plan->isolated,
				     .hairpin = t->opts.hairpin };

	c.a = lab_topo_props(t, LAB_NODE_HA);
	c.b = t->plan->one_router ? c.a : lab_topo_props(t, LAB_NODE_HB);
	if (spray_probes)
		s.probes = spray_probes;
	lab_theory_predict_p(&c, &s, &p);
	*p_direct = p.p_direct;
	return lab_outcome_name(p.path);
}

/* Theory's prediction (or the fault's, if it says what to expect). */
void run_story_theory(struct run *r)
{
	const struct lab_args *a = r->args;
	const struct lab_topo *t = r->topo;
	const struct lab_fault_ops *f = r->fault.ops;
	struct lab_report *rep = r->rep;

	if (f && f->expect)
		snprintf(rep->expected, sizeof(rep->expected), "%s", f->expect);
	char spray[96] = "";

	if (rep->p_direct > 0 && rep->p_direct < 1)
		snprintf(spray, sizeof(spray), ", or direct with probability %.1f %% (the spray)",
			 100 * rep->p_direct);
	lab_report_step(rep, "theory: %s x %s%s%s%s -> %s%s%s", t->nat[LAB_NODE_RA]->name,
			t->plan->isolated ? "same router" :
			t->plan->one_router ? "same LAN" : t->nat[LAB_NODE_RB]->name,
			lab_plan_hairpins(t->plan) ? (a->hairpin > 0 ? ", hairpin on" : ", hairpin off") : "",
			!t->nat[LAB_NODE_CA] ? "" :
			t->plan->shared_cgn ? ", both behind one CGN " : ", each behind a CGN ",
			t->nat[LAB_NODE_CA] ? t->nat[LAB_NODE_CA]->name : "",
			rep->expected, spray, f && f->theory_note ? f->theory_note : "");
}
