// SPDX-License-Identifier: MIT
/*
 * The JSON writer of a run's report: one object at the end, the same data
 * the narrative is told from (docs/lab.md lists its fields). Every value
 * the run did not get is null (jsonw.h).
 */
#include <inttypes.h>
#include <string.h>

#include "jsonw.h"
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
	fputs("]}\n", f);
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
