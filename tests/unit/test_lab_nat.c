// SPDX-License-Identifier: MIT
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lab/nat.h"
#include "lab/trace.h"

static const struct lab_nat_params prm = { "wan", "lan", "10.0.1.2", 4000 };

#define FW_INPUT "\t\tiifname \"wan\" ct state new counter log prefix \"fw-input\" group 7 " \
		 "snaplen 128 drop\n"

/* A port-restricted router's whole ruleset, up to and from the place
 * where a cone adds its forward rule. */
#define RULESET_HEAD \
		"add table ip hplab\n" \
		"delete table ip hplab\n" \
		"table ip hplab {\n" \
		"\tchain nat_in {\n" \
		"\t\ttype nat hook prerouting priority dstnat; policy accept;\n" \
		"\t}\n" \
		"\tchain nat_out {\n" \
		"\t\ttype nat hook postrouting priority srcnat; policy accept;\n" \
		"\t\toifname \"wan\" masquerade\n" \
		"\t}\n" \
		"\tchain input {\n" \
		"\t\ttype filter hook input priority filter; policy accept;\n" \
		"\t\tiifname \"wan\" ct state new counter log prefix \"fw-input\" group 7 snaplen 128 drop\n" \
		"\t}\n" \
		"\tchain forward {\n" \
		"\t\ttype filter hook forward priority filter; policy accept;\n" \
		"\t\tiifname \"wan\" oifname \"lan\" ct state established,related accept\n"
#define RULESET_TAIL \
		"\t\tiifname \"wan\" oifname \"lan\" counter log prefix \"fw-forward\" group 7 snaplen 128 drop\n" \
		"\t}\n" \
		"\tchain watch_in {\n" \
		"\t\ttype filter hook prerouting priority mangle; policy accept;\n" \
		"\t\tmeta l4proto udp log prefix \"in\" group 7 snaplen 128\n" \
		"\t\ticmp type destination-unreachable log prefix \"in\" group 7 snaplen 128\n" \
		"\t\ticmp type time-exceeded log prefix \"in\" group 7 snaplen 128\n" \
		"\t}\n" \
		"\tchain watch_out {\n" \
		"\t\ttype filter hook postrouting priority mangle; policy accept;\n" \
		"\t\tmeta l4proto udp log prefix \"out\" group 7 snaplen 128\n" \
		"\t\ticmp type destination-unreachable log prefix \"out\" group 7 snaplen 128\n" \
		"\t\ticmp type time-exceeded log prefix \"out\" group 7 snaplen 128\n" \
		"\t}\n" \
		"}\n"

static void test_default_ruleset_text(void **state)
{
	const char *want =
		RULESET_HEAD RULESET_TAIL;
	char buf[4096];
	int n;

	(void)state;
	n = lab_nat_ruleset(lab_nat_find(LAB_NAT_DEFAULT), &prm, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(want));
	assert_string_equal(buf, want);
}

static void test_personalities(void **state)
{
	char buf[2048];

	(void)state;
	assert_ptr_equal(lab_nat_find("prc"), lab_nat_find("port-restricted"));
	assert_null(lab_nat_find("open"));
	assert_true(lab_nat_ruleset(lab_nat_find("sym"), &prm, buf, sizeof(buf)) > 0);
	/* RFC 4787 s.4.2.1: a random port for every mapping */
	assert_non_null(strstr(buf, "\t\toifname \"wan\" masquerade fully-random\n"));
	assert_true(lab_nat_ruleset(lab_nat_find("full-cone"), &prm, buf, sizeof(buf)) > 0);
	/* no static port forward: the cone filter (nft) DNATs per mapping */
	assert_null(strstr(buf, "dnat ip to"));
	assert_null(strstr(buf, "fully-random"));
	/* the DNAT acceptance comes before the final drop */
	assert_non_null(strstr(buf, "ct status dnat accept"));
	assert_true(strstr(buf, "ct status dnat accept") < strstr(buf, "\"fw-forward\""));
	assert_true(lab_nat_ruleset(lab_nat_find("rc"), &prm, buf, sizeof(buf)) > 0);
	/* every personality keeps the home router's inbound firewall */
	assert_non_null(strstr(buf, FW_INPUT));
	assert_true(lab_nat_cone_ruleset(lab_nat_find("rc"), &prm, buf, sizeof(buf)) > 0);
	/* per mapping (public port) and remote address: address-dependent */
	assert_non_null(strstr(buf, "add @filter { ip daddr . udp sport ct count over 0 }\n"));
	assert_non_null(strstr(buf, "ip saddr . udp dport @filter dnat ip to udp dport map "
				    "@mapping\n"));
	/* conntrack alone filters the others: nothing for nft to load */
	assert_int_equal(lab_nat_cone_ruleset(lab_nat_find("prc"), &prm, buf, sizeof(buf)), 0);
	assert_int_equal(lab_nat_cone_ruleset(lab_nat_find("sym"), &prm, buf, sizeof(buf)), 0);
}

static void test_ruleset_refuses_bad_input(void **state)
{
	struct lab_nat_params evil = { "wan\" accept\n}", "lan", "10.0.1.2", 4000 };
	struct lab_nat_params noport = { "wan", "lan", "10.0.1.2", 0 };
	char buf[2048], tiny[40];

	(void)state;
	assert_int_equal(lab_nat_ruleset(lab_nat_find("prc"), &evil, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(lab_nat_ruleset(lab_nat_find("prc"), &noport, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(lab_nat_ruleset(NULL, &prm, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(lab_nat_ruleset(lab_nat_find("prc"), &prm, tiny, sizeof(tiny)), -ENOSPC);
}

static void test_no_firewall(void **state)
{
	struct lab_nat_params bare = prm;
	char buf[2048];

	(void)state;
	bare.no_firewall = true;
	assert_true(lab_nat_ruleset(lab_nat_find("prc"), &bare, buf, sizeof(buf)) > 0);
	assert_null(strstr(buf, "ct state new"));
	assert_null(strstr(buf, "drop"));
	/* the chains are there, empty: the hooks as with the firewall */
	assert_non_null(strstr(buf, "\tchain input {\n\t\ttype filter hook input priority filter; "
				    "policy accept;\n\t}\n"));
	assert_non_null(strstr(buf, "\t\toifname \"wan\" masquerade\n"));
	/* a restricted cone still needs its memory of destinations */
	assert_true(lab_nat_ruleset(lab_nat_find("rc"), &bare, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "ct status dnat accept"));
	assert_true(lab_nat_cone_ruleset(lab_nat_find("rc"), &bare, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "add @filter"));
}

/* --nat-sessions: one counted and logged refusal of new flows out beyond
 * the cap (one rule: ct count runs once per datagram), ahead of every
 * other forward rule, on both lan ports of one router. */
static void test_session_cap(void **state)
{
	static const char cap[] =
		"\t\tiifname \"lan\" oifname \"wan\" ct state new ct count over 16 counter "
		"log prefix \"sessions\" group 7 snaplen 128 drop\n";
	struct lab_nat_params p = prm, same = prm;
	char buf[4096];

	(void)state;
	assert_true(lab_nat_ruleset(lab_nat_find("prc"), &p, buf, sizeof(buf)) > 0);
	assert_null(strstr(buf, "ct count"));
	p.sessions = 16;
	assert_true(lab_nat_ruleset(lab_nat_find("sym"), &p, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "priority filter; policy accept;\n\t\tiifname \"lan\" "
				    "oifname \"wan\" ct state new ct count over 16"));
	assert_non_null(strstr(buf, cap));
	p.no_firewall = true;
	assert_true(lab_nat_ruleset(lab_nat_find("prc"), &p, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, cap));
	same.lan2 = "lan2";
	same.host2 = "10.0.2.2";
	same.public_addr = "198.51.100.10";
	same.sessions = 16;
	assert_true(lab_nat_ruleset(lab_nat_find("prc"), &same, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\t\tiifname \"lan2\" oifname \"wan\" ct state new ct count "
				    "over 16 counter log prefix \"sessions\" group 7 snaplen 128 drop\n"));
}

static void test_same_nat_hairpin(void **state)
{
	struct lab_nat_params same = { "wan", "lan", "10.0.1.2", 4000, false, "lan2", "10.0.2.2",
				       "198.51.100.10", false };
	char buf[3072];

	(void)state;
	assert_true(lab_nat_ruleset(lab_nat_find("prc"), &same, buf, sizeof(buf)) > 0);
	/* pinned endpoint-independent mappings, the lans isolated */
	assert_non_null(strstr(buf, "\t\toifname \"wan\" ip saddr 10.0.2.2 udp sport 4000 "
				    "snat ip to 198.51.100.10:4001\n"));
	assert_non_null(strstr(buf, "\t\tiifname \"lan\" oifname \"lan2\" counter log prefix "
				    "\"isolation\" group 7 snaplen 128 drop\n"));
	assert_null(strstr(buf, "dnat"));
	same.hairpin = true;
	assert_true(lab_nat_ruleset(lab_nat_find("prc"), &same, buf, sizeof(buf)) > 0);
	/* in the dstnat chain, ahead of the srcnat one */
	assert_non_null(strstr(buf, "\t\tiifname \"lan\" ip daddr 198.51.100.10 udp dport 4001 "
				    "dnat ip to 10.0.2.2:4000\n"));
	assert_true(strstr(buf, "dnat ip to 10.0.2.2:4000") < strstr(buf, "chain nat_out"));
	/* the hairpinned datagram shows the sender's public endpoint (REQ-9) */
	assert_non_null(strstr(buf, "\t\toifname \"lan2\" ip saddr 10.0.1.2 udp sport 4000 "
				    "ct status dnat snat ip to 198.51.100.10:4000\n"));
	assert_non_null(strstr(buf, "iifname \"lan\" oifname \"lan2\" ct status dnat accept\n"));
	assert_true(strstr(buf, "iifname \"lan\" oifname \"lan2\" ct status dnat accept") <
		    strstr(buf, "iifname \"lan\" oifname \"lan2\" counter"));
	/* the shared router has no cone filter */
	assert_int_equal(lab_nat_cone_ruleset(lab_nat_find("prc"), &same, buf, sizeof(buf)), 0);
	/* only a port-restricted router can be shared */
	assert_int_equal(lab_nat_ruleset(lab_nat_find("sym"), &same, buf, sizeof(buf)), -EINVAL);
	same.public_addr = "1.2.3.4 accept";
	assert_int_equal(lab_nat_ruleset(lab_nat_find("prc"), &same, buf, sizeof(buf)), -EINVAL);
}

/* A ruleset is bytes from the row's templates: full cone's exactly. */
static void test_full_cone_ruleset_text(void **state)
{
	const char *want =
		RULESET_HEAD
		"\t\tiifname \"wan\" oifname \"lan\" ct status dnat accept\n"
		RULESET_TAIL;
	char buf[4096];

	(void)state;
	assert_int_equal(lab_nat_ruleset(lab_nat_find("fc"), &prm, buf, sizeof(buf)),
			 (int)strlen(want));
	assert_string_equal(buf, want);
}

/* The cone filter is bytes too: full cone's exactly (nat.c says why). */
static void test_full_cone_filter_text(void **state)
{
	const char *want =
		"table ip hplab_cone {\n"
		"\tmap mapping {\n"
		"\t\ttype inet_service : ipv4_addr . inet_service\n"
		"\t\tflags dynamic\n"
		"\t}\n"
		"\tset filter {\n"
		"\t\ttype inet_service\n"
		"\t\tflags dynamic\n"
		"\t}\n"
		"\tchain learn {\n"
		"\t\ttype filter hook postrouting priority srcnat + 1; policy accept;\n"
		"\t\tiifname \"lan\" oifname \"wan\" meta l4proto udp ct direction original "
		"add @mapping { udp sport ct count over 0 : ct original ip saddr . ct original proto-src }\n"
		"\t\tiifname \"lan\" oifname \"wan\" meta l4proto udp ct direction reply "
		"add @mapping { udp sport ct count over 0 : ct reply ip saddr . ct reply proto-src }\n"
		"\t\tiifname \"lan\" oifname \"wan\" meta l4proto udp add @filter { udp sport ct count over 0 }\n"
		"\t}\n"
		"\tchain admit {\n"
		"\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
		"\t\tiifname \"wan\" meta l4proto udp udp dport @filter dnat ip to udp dport map @mapping\n"
		"\t}\n"
		"}\n";
	struct lab_nat_params evil = { "wan\" accept", "lan", "10.0.1.2", 4000 };
	char buf[2048], tiny[64];

	(void)state;
	assert_int_equal(lab_nat_cone_ruleset(lab_nat_find("fc"), &prm, buf, sizeof(buf)),
			 (int)strlen(want));
	assert_string_equal(buf, want);
	assert_int_equal(lab_nat_cone_ruleset(lab_nat_find("fc"), &prm, tiny, sizeof(tiny)),
			 -ENOSPC);
	assert_int_equal(lab_nat_cone_ruleset(lab_nat_find("fc"), &evil, buf, sizeof(buf)),
			 -EINVAL);
	assert_int_equal(lab_nat_cone_ruleset(NULL, &prm, buf, sizeof(buf)), -EINVAL);
}

/* What a restarted router forgets besides conntrack: both cone sets, for
 * a NAT with a cone only. */
static void test_cone_forget_text(void **state)
{
	static const char want[] = "flush map ip hplab_cone mapping\n"
				   "flush set ip hplab_cone filter\n";
	char buf[128], tiny[16];

	(void)state;
	assert_int_equal(lab_nat_cone_forget(lab_nat_find("fc"), buf, sizeof(buf)),
			 (int)strlen(want));
	assert_string_equal(buf, want);
	assert_int_equal(lab_nat_cone_forget(lab_nat_find("rc"), buf, sizeof(buf)),
			 (int)strlen(want));
	assert_int_equal(lab_nat_cone_forget(lab_nat_find("prc"), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(lab_nat_cone_forget(lab_nat_find("sym"), buf, sizeof(buf)), 0);
	assert_int_equal(lab_nat_cone_forget(lab_nat_find("fc"), tiny, sizeof(tiny)), -ENOSPC);
	assert_int_equal(lab_nat_cone_forget(NULL, buf, sizeof(buf)), -EINVAL);
}

/* Every row: found by name and alias, named in lab_nat_names(), builds a
 * ruleset with the home router's firewall, and takes its place in the
 * matrix's order, most open first. */
static void test_every_row(void **state)
{
	char buf[2048], shown[64];
	size_t i, j, seen;

	(void)state;
	assert_true(lab_nat_count() > 0);
	assert_null(lab_nat_at(lab_nat_count()));
	assert_null(lab_nat_by_openness(lab_nat_count()));
	for (i = 0; i < lab_nat_count(); i++) {
		const struct lab_nat_personality *p = lab_nat_at(i), *q;

		assert_ptr_equal(lab_nat_find(p->name), p);
		assert_ptr_equal(lab_nat_find(p->alias), p);
		snprintf(shown, sizeof(shown), "%s (%s)", p->name, p->alias);
		assert_non_null(strstr(lab_nat_names(), shown));
		assert_true(lab_nat_ruleset(p, &prm, buf, sizeof(buf)) > 0);
		assert_non_null(strstr(buf, FW_INPUT));
		for (seen = 0, j = 0; j < lab_nat_count(); j++)
			seen += lab_nat_by_openness(j) == p;
		assert_int_equal(seen, 1);
		if (!i)
			continue;
		p = lab_nat_by_openness(i - 1);
		q = lab_nat_by_openness(i);
		assert_true(p->props.mapping < q->props.mapping ||
			    (p->props.mapping == q->props.mapping &&
			     p->props.filtering <= q->props.filtering));
	}
	assert_string_equal(lab_nat_by_openness(0)->name, "full-cone");
	assert_string_equal(lab_nat_names(), lab_nat_names());
}

static void test_personality_properties(void **state)
{
	(void)state;
	assert_int_equal(lab_nat_find("fc")->props.filtering, LAB_FILT_EI);
	assert_int_equal(lab_nat_find("rc")->props.filtering, LAB_FILT_AD);
	assert_int_equal(lab_nat_find("prc")->props.filtering, LAB_FILT_APD);
	assert_int_equal(lab_nat_find("sym")->props.mapping, LAB_MAP_APD);
	assert_int_equal(lab_nat_find("rc")->props.mapping, LAB_MAP_EI);
	/* RFC 4787 s.4.2.1: masquerade preserves a free port, fully-random not */
	assert_int_equal(lab_nat_find("sym")->ports, LAB_NAT_PORTS_RANDOM);
	assert_int_equal(lab_nat_find("fc")->ports, LAB_NAT_PORTS_PRESERVE);
	assert_int_equal(lab_nat_find("rc")->ports, LAB_NAT_PORTS_PRESERVE);
	assert_int_equal(lab_nat_find("prc")->ports, LAB_NAT_PORTS_PRESERVE);
	/* a cone filter exactly where conntrack's replies-only is too strict */
	assert_non_null(lab_nat_find("fc")->cone);
	assert_non_null(lab_nat_find("rc")->cone);
	assert_null(lab_nat_find("prc")->cone);
	assert_null(lab_nat_find("sym")->cone);
}

/* Every drop is told: the rule counts, then logs to the trace's group
 * with a drop rule's name (trace.h), so the glass box can say which rule
 * dropped what, then drops. Returns how many drops the text has. */
static int drops_logged(const char *buf)
{
	const char *line = buf, *nl;
	int n = 0;

	for (; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		const char *drop = strstr(line, " drop\n"), *log;
		char want[64];
		enum lab_tr_rule rule;

		if (!drop || drop > nl)
			continue;
		n++;
		log = strstr(line, " counter log prefix \"");
		assert_non_null(log);
		assert_true(log < drop);
		assert_int_equal(sscanf(log, " counter log prefix \"%63[^\"]\" group 7 snaplen 128 drop",
					want), 1);
		assert_int_equal(lab_trace_at_find(want, &rule), LAB_AT_DROP);
		assert_int_not_equal(rule, LAB_RULE_NONE);
	}
	return n;
}

static void test_nflog_before_each_drop(void **state)
{
	struct lab_nat_params same = { "wan", "lan", "10.0.1.2", 4000, false, "lan2", "10.0.2.2",
				       "198.51.100.10", true };
	struct lab_nat_params bare = prm;
	char buf[4096];

	(void)state;
	for (size_t i = 0; i < lab_nat_count(); i++) {
		assert_true(lab_nat_ruleset(lab_nat_at(i), &prm, buf, sizeof(buf)) > 0);
		assert_int_equal(drops_logged(buf), 2);
		assert_non_null(strstr(buf, FW_INPUT));
	}
	assert_true(lab_nat_ruleset(lab_nat_find("prc"), &same, buf, sizeof(buf)) > 0);
	assert_int_equal(drops_logged(buf), 5);
	/* no firewall: nothing dropped, the datagrams still watched */
	bare.no_firewall = true;
	assert_true(lab_nat_ruleset(lab_nat_find("prc"), &bare, buf, sizeof(buf)) > 0);
	assert_int_equal(drops_logged(buf), 0);
	assert_null(strstr(buf, "fw-input"));
	assert_non_null(strstr(buf, "\ttype filter hook prerouting priority mangle; policy accept;\n"
				    "\t\tmeta l4proto udp log prefix \"in\" group 7 snaplen 128\n"));
	assert_non_null(strstr(buf, "\t\ticmp type time-exceeded log prefix \"out\" group 7 "
				    "snaplen 128\n\t}\n}\n"));
}

/* The rebind fault's port: ahead of the personality's masquerade (the
 * first matching NAT rule wins), UDP only; the table replaces the old one
 * in the same transaction. */
static void test_masq_port(void **state)
{
	struct lab_nat_params p = prm;
	char buf[4096];

	(void)state;
	p.masq_port = 5555;
	assert_true(lab_nat_ruleset(lab_nat_find("sym"), &p, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "priority srcnat; policy accept;\n"
				    "\t\toifname \"wan\" meta l4proto udp masquerade to :5555\n"
				    "\t\toifname \"wan\" masquerade fully-random\n"));
	assert_ptr_equal(strstr(buf, "add table ip hplab\ndelete table ip hplab\ntable ip hplab {\n"),
			 buf);
	p.masq_port = 65536;
	assert_int_equal(lab_nat_ruleset(lab_nat_find("sym"), &p, buf, sizeof(buf)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_ruleset_text),
		cmocka_unit_test(test_personalities),
		cmocka_unit_test(test_ruleset_refuses_bad_input),
		cmocka_unit_test(test_no_firewall),
		cmocka_unit_test(test_same_nat_hairpin),
		cmocka_unit_test(test_personality_properties),
		cmocka_unit_test(test_full_cone_ruleset_text),
		cmocka_unit_test(test_full_cone_filter_text),
		cmocka_unit_test(test_cone_forget_text),
		cmocka_unit_test(test_every_row),
		cmocka_unit_test(test_nflog_before_each_drop),
		cmocka_unit_test(test_session_cap),
		cmocka_unit_test(test_masq_port),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
