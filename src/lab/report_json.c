// SPDX-License-Identifier: MIT
/*
 * The JSON writer of a run's report: one object at the end, the same data
 * the narrative is told from (docs/lab.md lists its fields). Every value
 * the run did not get is null (jsonw.h).
 */
#include <inttypes.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "jsonw.h"
#include "pktdec.h"
#include "plan.h"
#include "proto.h"
#include "report.h"
#include "report_int.h"

static void json_rtt(FILE *f, int64_t median, int64_t p95, unsigned n)
{
	if (!n) {
		fputs("{\"median\":null,\"p95\":null,\"n\":0}", f);
		return;
	}
	fprintf(f, "{\"median\":%.1f,\"p95\":%.1f,\"n\":%u}", median / 1000.0, p95 / 1000.0, n);
}

/* ppm as a percentage with 4 decimals, trailing zeros kept short */
static void json_pct(FILE *f, const char *key, uint32_t ppm)
{
	fprintf(f, "\"%s\":%u.%04u", key, ppm / 10000, ppm % 10000);
}

static void json_engine(FILE *f, const struct lab_report_engine *e)
{
	fputc('{', f);
	lab_jw_str(f, "router", e->router);
	fprintf(f, ",\"queued\":%" PRIu64 ",\"delayed\":%" PRIu64 ",\"reordered\":%" PRIu64
		   ",\"duplicated\":%" PRIu64 ",\"dup_failed\":%" PRIu64
		   ",\"late_us\":{\"median\":%" PRIu64 ",\"p99\":%" PRIu64 ",\"max\":%" PRIu64 "}}",
		e->queued, e->delayed, e->reordered, e->duplicated, e->dup_failed,
		e->late_median_us, e->late_p99_us, e->late_max_us);
}

static void json_impair(FILE *f, const struct lab_report *r)
{
	static const char *const names[2] = { "a", "b" };
	size_t i;

	if (!r->impaired) {
		fputs("null", f);
		return;
	}
	fputc('{', f);
	for (i = 0; i < 2; i++) {
		fprintf(f, "\"%s\":{\"delay_ms\":%.3f,\"jitter_ms\":%.3f,", names[i],
			r->imp_delay_us[i] / 1000.0, r->imp_jitter_us[i] / 1000.0);
		json_pct(f, "loss_pct", r->imp_loss_ppm[i]);
		fputc(',', f);
		json_pct(f, "reorder_pct", r->imp_reorder_ppm[i]);
		fputc(',', f);
		json_pct(f, "duplicate_pct", r->imp_dup_ppm[i]);
		fputs("},", f);
	}
	fprintf(f, "\"path_rtt_ms\":%.3f,\"engines\":[", r->path_rtt_us / 1000.0);
	for (i = 0; i < r->nengines; i++) {
		if (i)
			fputc(',', f);
		json_engine(f, &r->engines[i]);
	}
	fputs("]}", f);
}

static void json_probe(FILE *f, const struct lab_report_side *s)
{
	fputs("\"probe\":", f);
	if (!s->probe_nat[0]) {
		fputs("null", f);
	} else {
		fputc('{', f);
		lab_jw_str(f, "nat", s->probe_nat);
		fputc(',', f);
		lab_jw_str(f, "mapping", s->probe_mapping);
		fputc(',', f);
		lab_jw_str(f, "filtering", s->probe_filtering);
		fputc(',', f);
		lab_jw_str(f, "public", s->probe_public);
		fputc(',', f);
		lab_jw_ms(f, "ms", s->probe_ms);
		fputc(',', f);
		lab_jw_bool(f, "match", s->probe_match);
		fputc('}', f);
	}
	fputc(',', f);
	lab_jw_str(f, "probe_error", s->probe_error);
}

static void json_side(FILE *f, const char *key, const struct lab_report_side *s)
{
	fprintf(f, "\"%s\":{", key);
	lab_jw_str(f, "name", s->nick);
	fputc(',', f);
	lab_jw_str(f, "private", s->private_ep);
	fputc(',', f);
	lab_jw_str(f, "public", s->public_ep);
	fputc(',', f);
	lab_jw_str(f, "peer", s->peer_ep);
	fputc(',', f);
	lab_jw_str(f, "path", s->path);
	fputc(',', f);
	lab_jw_ms(f, "connect_ms", s->connect_ms);
	fputc(',', f);
	lab_jw_ms(f, "direct_ms", s->direct_ms);
	fprintf(f, ",\"sent\":%u,\"received\":%u,\"acked\":%u,", s->sent, s->received, s->acked);
	if (s->exit_code < 0)
		fputs("\"exit\":null,", f);
	else
		fprintf(f, "\"exit\":%d,", s->exit_code);
	lab_jw_bool(f, "bye", s->bye);
	fputc(',', f);
	lab_jw_str(f, "router_nat", s->router_nat);
	fprintf(f, ",\"delivered\":%u,\"retransmitted\":%u,\"retransmitted_from\":\"%s\","
		   "\"connects\":%u,\"reconnects\":%u,\"rtt_ms\":",
		s->delivered, s->retransmitted, s->stats_seen ? "stats" : "events", s->connects,
		s->reconnects);
	json_rtt(f, s->rtt_median_us, s->rtt_p95_us, s->rtt_n);
	fputc(',', f);
	json_probe(f, s);
	fputc('}', f);
}

static void json_fault(FILE *f, const struct lab_report *r)
{
	fputs("\"fault\":", f);
	if (!r->fault[0]) {
		fputs("null", f);
		return;
	}
	fputc('{', f);
	lab_jw_str(f, "name", r->fault);
	fputc(',', f);
	lab_jw_ms(f, "injected_ms", r->fault_ms);
	fputc(',', f);
	lab_jw_bool(f, "ok", r->fault_ok);
	fputc(',', f);
	lab_jw_str(f, "detail", r->fault_detail);
	fputc('}', f);
}

static void json_ep(FILE *f, const char *key, struct in_addr a, uint16_t port)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	if (port)
		fprintf(f, "\"%s\":\"%s:%u\"", key, ip, port);
	else
		fprintf(f, "\"%s\":\"%s\"", key, ip);
}

static void json_tuple(FILE *f, const char *key, const struct lab_ct_tuple *x)
{
	fprintf(f, "\"%s\":{", key);
	json_ep(f, "src", x->src, x->sport);
	fputc(',', f);
	json_ep(f, "dst", x->dst, x->dport);
	fputc('}', f);
}

static const char *ev_what(const struct lab_tr_ev *e)
{
	switch ((enum lab_tr_kind)e->kind) {
	case LAB_TR_CLIENT: return lab_trace_client_name((enum lab_tr_client)e->what);
	case LAB_TR_MAP: return lab_trace_map_name((enum lab_ct_ev_type)e->what);
	case LAB_TR_PKT: return lab_trace_fate_name((enum lab_tr_fate)e->what);
	case LAB_TR_KIND_COUNT: break;
	}
	return "";
}

static const char *ev_msg(const struct lab_tr_ev *e)
{
	if (e->kind != LAB_TR_PKT || e->hp_type == LAB_PKT_NOT_HP)
		return "";
	return e->hp_type == LAB_PKT_STUN ? "stun" : hp_type_name(e->hp_type);
}

/* One trace event: what the narrative's line says, as fields. */
static void json_trace_ev(FILE *f, const struct lab_trace *t, size_t i)
{
	const struct lab_tr_ev *e = &t->ev[i];
	const char *who = lab_trace_who(t, e);
	char text[320];

	fprintf(f, "{\"t_ms\":%" PRIu64 ".%03u,", e->us / 1000, (unsigned)(e->us % 1000));
	lab_jw_str(f, "kind", lab_trace_kind_name((enum lab_tr_kind)e->kind));
	fputc(',', f);
	lab_jw_str(f, "node", e->node < LAB_NODE_COUNT ? lab_plan_nodes[e->node].suffix : "");
	fputc(',', f);
	lab_jw_str(f, "side", who);
	fputc(',', f);
	lab_jw_str(f, "what", ev_what(e));
	fputc(',', f);
	lab_jw_str(f, "at", e->kind == LAB_TR_PKT ? lab_trace_at_name((enum lab_tr_at)e->at) : "");
	fputc(',', f);
	lab_jw_str(f, "rule", lab_trace_rule_name((enum lab_tr_rule)e->rule));
	fputc(',', f);
	lab_jw_str(f, "proto", e->kind != LAB_TR_PKT ? "" : e->proto == IPPROTO_ICMP ? "icmp" : "udp");
	fputc(',', f);
	lab_jw_str(f, "msg", ev_msg(e));
	if (e->ttl)
		fprintf(f, ",\"ttl\":%u", e->ttl);
	else
		fputs(",\"ttl\":null", f);
	if (e->icmp_type || (e->kind == LAB_TR_CLIENT && e->what == LAB_TRC_ICMP))
		fprintf(f, ",\"icmp\":{\"type\":%u,\"code\":%u}", e->icmp_type, e->icmp_code);
	else
		fputs(",\"icmp\":null", f);
	fputc(',', f);
	if (e->from.s_addr)
		json_ep(f, "from", e->from, 0);
	else
		fputs("\"from\":null", f);
	fputc(',', f);
	json_tuple(f, "a", &e->a);
	fputc(',', f);
	if (e->kind == LAB_TR_CLIENT)
		fputs("\"b\":null", f);
	else
		json_tuple(f, "b", &e->b);
	if (e->kind == LAB_TR_PKT)
		fprintf(f, ",\"dgram\":%u", e->dgram);
	else
		fputs(",\"dgram\":null", f);
	if (e->kind == LAB_TR_MAP)
		fprintf(f, ",\"ct_id\":%u,\"translates\":%s", e->ct_id,
			lab_trace_translates(e) ? "true" : "false");
	lab_trace_describe(t, i, text, sizeof(text));
	fputc(',', f);
	lab_jw_str(f, "text", text);
	fputc('}', f);
}

/* Did the run build this node (the trace knows its addresses)? */
static bool traced_node(const struct lab_trace *t, int node)
{
	for (size_t i = 0; i < t->nnames; i++)
		if (t->names[i].node == node)
			return true;
	return false;
}

/* The glass box (docs/lab.md): "trace" and "nats", null unless collected. */
static void json_trace(FILE *f, const struct lab_report *r)
{
	const struct lab_trace *t = &r->trace;
	bool first = true;

	if (!t->on) {
		fputs(",\"trace\":null,\"trace_lost\":null,\"nats\":null", f);
		return;
	}
	fputs(",\"trace\":[", f);
	for (size_t i = 0; i < t->n; i++) {
		if (i)
			fputc(',', f);
		json_trace_ev(f, t, i);
	}
	fprintf(f, "],\"trace_lost\":%u,\"nats\":{", t->lost);
	for (int node = 0; node < LAB_NODE_COUNT; node++) {
		const struct lab_tr_nat *c = &t->nat[node];

		if (!lab_plan_nodes[node].nat || !traced_node(t, node))
			continue;
		fprintf(f, "%s\"%s\":{\"maps\":%u,\"forwarded\":%u,\"dropped\":{",
			first ? "" : ",", lab_plan_nodes[node].suffix, c->maps, c->forwarded);
		first = false;
		for (int k = LAB_RULE_NONE + 1; k < LAB_RULE_COUNT; k++)
			fprintf(f, "%s\"%s\":%u", k == LAB_RULE_NONE + 1 ? "" : ",",
				lab_trace_rule_name((enum lab_tr_rule)k), c->drops[k]);
		fputs("}}", f);
	}
	fputc('}', f);
}

/* What the run was asked to do, and what theory expects of it. */
static void json_setup(FILE *f, const struct lab_report *r)
{
	fprintf(f, "\"messages\":%u,", r->messages);
	lab_jw_str(f, "prefix", r->prefix);
	fputc(',', f);
	lab_jw_str(f, "topology", r->topology);
	fputs(",\"nat\":{", f);
	lab_jw_str(f, "a", r->nat_a);
	fputc(',', f);
	lab_jw_str(f, "b", r->nat_b);
	fputs("},", f);
	lab_jw_str(f, "expected", r->expected);
	fputc(',', f);
	lab_jw_bool(f, "same_nat", r->same_nat);
	fputc(',', f);
	lab_jw_tristate(f, "hairpin", r->hairpin);
	fputc(',', f);
	lab_jw_bool(f, "no_firewall", r->no_firewall);
	if (r->udp_timeout)
		fprintf(f, ",\"udp_timeout\":%u", r->udp_timeout);
	else
		fputs(",\"udp_timeout\":null", f);
	/* theory's probability of a direct path: null before the topology */
	if (r->expected[0])
		fprintf(f, ",\"p_direct\":%.6f", r->p_direct);
	else
		fputs(",\"p_direct\":null", f);
	if (r->trace.sessions) /* the cap the routers were given (trace.h) */
		fprintf(f, ",\"nat_sessions\":%u", r->trace.sessions);
	else
		fputs(",\"nat_sessions\":null", f);
}

static void json_finish(const struct lab_report *r, FILE *f)
{
	static const char *const results[] = { "pass", "fail", "error" };
	size_t i;

	fprintf(f, "{\"schema_version\":%d,", LAB_SCHEMA_VERSION);
	lab_jw_str(f, "result", results[r->result]);
	fputc(',', f);
	lab_jw_str(f, "reason", r->reason);
	fputc(',', f);
	lab_jw_str(f, "interrupted_by", r->interrupted_by);
	fputc(',', f);
	lab_jw_str(f, "path", r->path);
	fputc(',', f);
	lab_jw_ms(f, "connect_ms", r->connect_ms);
	fputc(',', f);
	lab_jw_ms(f, "direct_ms", r->direct_ms);
	fputc(',', f);
	lab_jw_ms(f, "setup_ms", r->setup_ms);
	fputc(',', f);
	lab_jw_ms(f, "teardown_ms", r->teardown_ms);
	fputc(',', f);
	lab_jw_ms(f, "wall_ms", r->wall_ms);
	fputc(',', f);
	json_setup(f, r);
	fputs(",\"rtt_ms\":", f);
	json_rtt(f, r->rtt_median_us, r->rtt_p95_us, r->rtt_n);
	fputs(",\"impair\":", f);
	json_impair(f, r);
	fputc(',', f);
	json_fault(f, r);
	fputc(',', f);
	json_side(f, "a", &r->a);
	fputc(',', f);
	json_side(f, "b", &r->b);
	fputs(",\"steps\":[", f);
	for (i = 0; i < r->nsteps; i++) {
		fprintf(f, "%s{\"ms\":%" PRIu64 ",", i ? "," : "", r->steps[i].ms);
		lab_jw_str(f, "text", r->steps[i].text);
		fputc('}', f);
	}
	fputc(']', f);
	json_trace(f, r);
	fputs("}\n", f);
	fflush(f);
}

static void json_error(FILE *f, const char *cmd, const char *reason)
{
	fprintf(f, "{\"schema_version\":%d,\"result\":\"error\",", LAB_SCHEMA_VERSION);
	lab_jw_str(f, "command", cmd);
	fputc(',', f);
	lab_jw_str(f, "reason", reason);
	fputs("}\n", f);
	fflush(f);
}

const struct lab_report_writer lab_report_json = {
	.finish = json_finish,
	.error = json_error,
};
