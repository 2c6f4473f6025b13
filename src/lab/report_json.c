// SPDX-License-Identifier: MIT
/*
 * The JSON writer of a run's report: one object at the end, the same data
 * the narrative is told from (docs/lab.md lists its fields).
 */
#include <inttypes.h>
#include <string.h>

#include "json.h"
#include "report.h"
#include "report_int.h"

static void json_str(FILE *f, const char *key, const char *val)
{
	fprintf(f, "\"%s\":", key);
	hp_json_write_string(f, val, strlen(val));
}

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
		const struct lab_report_engine *e = &r->engines[i];

		fprintf(f, "%s{", i ? "," : "");
		json_str(f, "router", e->router);
		fprintf(f, ",\"queued\":%" PRIu64 ",\"delayed\":%" PRIu64 ",\"reordered\":%" PRIu64
			   ",\"duplicated\":%" PRIu64 ",\"dup_failed\":%" PRIu64
			   ",\"late_us\":{\"median\":%" PRIu64 ",\"p99\":%" PRIu64
			   ",\"max\":%" PRIu64 "}}",
			e->queued, e->delayed, e->reordered, e->duplicated, e->dup_failed,
			e->late_median_us, e->late_p99_us, e->late_max_us);
	}
	fputs("]}", f);
}

static void json_side(FILE *f, const char *key, const struct lab_report_side *s)
{
	fprintf(f, "\"%s\":{", key);
	json_str(f, "name", s->nick);
	fputc(',', f);
	json_str(f, "private", s->private_ep);
	fputc(',', f);
	json_str(f, "public", s->public_ep);
	fputc(',', f);
	json_str(f, "peer", s->peer_ep);
	fputc(',', f);
	json_str(f, "path", s->path);
	fprintf(f, ",\"connect_ms\":%" PRId64 ",\"sent\":%u,\"received\":%u,\"acked\":%u,"
		   "\"exit\":%d,\"bye\":%s",
		s->connect_ms, s->sent, s->received, s->acked, s->exit_code,
		s->bye ? "true" : "false");
	fputc(',', f);
	json_str(f, "router_nat", s->router_nat);
	fprintf(f, ",\"delivered\":%u,\"retransmitted\":%u,\"retransmitted_from\":\"%s\","
		   "\"connects\":%u,\"reconnects\":%u,\"rtt_ms\":",
		s->delivered, s->retransmitted, s->stats_seen ? "stats" : "events", s->connects,
		s->reconnects);
	json_rtt(f, s->rtt_median_us, s->rtt_p95_us, s->rtt_n);
	fputs(",\"probe\":", f);
	if (!s->probe_nat[0]) {
		fputs("null}", f);
		return;
	}
	fputc('{', f);
	json_str(f, "nat", s->probe_nat);
	fputc(',', f);
	json_str(f, "mapping", s->probe_mapping);
	fputc(',', f);
	json_str(f, "filtering", s->probe_filtering);
	fputc(',', f);
	json_str(f, "public", s->probe_public);
	fprintf(f, ",\"ms\":%" PRId64 ",\"match\":%s}}", s->probe_ms,
		s->probe_match ? "true" : "false");
}

static void json_finish(const struct lab_report *r, FILE *f)
{
	static const char *const results[] = { "pass", "fail", "error" };
	size_t i;

	fputc('{', f);
	json_str(f, "result", results[r->result]);
	fputc(',', f);
	json_str(f, "reason", r->reason);
	fputc(',', f);
	json_str(f, "path", r->path);
	fprintf(f, ",\"connect_ms\":%" PRId64 ",\"setup_ms\":%" PRId64 ",\"teardown_ms\":%" PRId64
		   ",\"messages\":%u,",
		r->connect_ms, r->setup_ms, r->teardown_ms, r->messages);
	json_str(f, "prefix", r->prefix);
	fputs(",\"nat\":{", f);
	json_str(f, "a", r->nat_a);
	fputc(',', f);
	json_str(f, "b", r->nat_b);
	fputs("},", f);
	json_str(f, "expected", r->expected);
	fprintf(f, ",\"same_nat\":%s,\"hairpin\":%s,\"no_firewall\":%s,\"udp_timeout\":%u,",
		r->same_nat ? "true" : "false",
		r->hairpin < 0 ? "null" : r->hairpin ? "true" : "false",
		r->no_firewall ? "true" : "false", r->udp_timeout);
	fputs("\"rtt_ms\":", f);
	json_rtt(f, r->rtt_median_us, r->rtt_p95_us, r->rtt_n);
	fputs(",\"impair\":", f);
	json_impair(f, r);
	fputs(",\"fault\":", f);
	if (!r->fault[0]) {
		fputs("null,", f);
	} else {
		fputc('{', f);
		json_str(f, "name", r->fault);
		fprintf(f, ",\"injected_ms\":%" PRId64 ",\"ok\":%s,", r->fault_ms,
			r->fault_ok ? "true" : "false");
		json_str(f, "detail", r->fault_detail);
		fputs("},", f);
	}
	json_side(f, "a", &r->a);
	fputc(',', f);
	json_side(f, "b", &r->b);
	fputs(",\"steps\":[", f);
	for (i = 0; i < r->nsteps; i++) {
		fprintf(f, "%s{\"ms\":%" PRIu64 ",", i ? "," : "", r->steps[i].ms);
		json_str(f, "text", r->steps[i].text);
		fputc('}', f);
	}
	fputs("]}\n", f);
	fflush(f);
}

const struct lab_report_writer lab_report_json = {
	.finish = json_finish,
};
