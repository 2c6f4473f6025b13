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

static void test_default_ruleset_text(void **state)
{
	const char *want =
		"*nat\n"
		":PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
		":POSTROUTING ACCEPT [0:0]\n"
		"-A POSTROUTING -o wan -j MASQUERADE\n"
		"COMMIT\n"
		"*filter\n"
		":INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
		"-A INPUT -i wan -m conntrack --ctstate NEW"
		" -j NFLOG --nflog-group 7 --nflog-prefix fw-input --nflog-size 128\n"
		"-A INPUT -i wan -m conntrack --ctstate NEW -j DROP\n"
		"-A FORWARD -i wan -o lan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n"
		"-A FORWARD -i wan -o lan"
		" -j NFLOG --nflog-group 7 --nflog-prefix fw-forward --nflog-size 128\n"
		"-A FORWARD -i wan -o lan -j DROP\n"
		"COMMIT\n"
		"*mangle\n"
		":PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
		":OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
		"-A PREROUTING -p udp"
		" -j NFLOG --nflog-group 7 --nflog-prefix in --nflog-size 128\n"
		"-A PREROUTING -p icmp --icmp-type destination-unreachable"
		" -j NFLOG --nflog-group 7 --nflog-prefix in --nflog-size 128\n"
		"-A PREROUTING -p icmp --icmp-type time-exceeded"
		" -j NFLOG --nflog-group 7 --nflog-prefix in --nflog-size 128\n"
		"-A POSTROUTING -p udp"
		" -j NFLOG --nflog-group 7 --nflog-prefix out --nflog-size 128\n"
		"-A POSTROUTING -p icmp --icmp-type destination-unreachable"
		" -j NFLOG --nflog-group 7 --nflog-prefix out --nflog-size 128\n"
		"-A POSTROUTING -p icmp --icmp-type time-exceeded"
		" -j NFLOG --nflog-group 7 --nflog-prefix out --nflog-size 128\n"
		"COMMIT\n";
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
	assert_non_null(strstr(buf, "-A POSTROUTING -o wan -j MASQUERADE --random-fully\n"));
	assert_true(lab_nat_ruleset(lab_nat_find("full-cone"), &prm, buf, sizeof(buf)) > 0);
	/* no static port forward: the cone filter (nft) DNATs per mapping */
	assert_null(strstr(buf, "DNAT --to-destination"));
	/* the DNAT acceptance comes before the final drop */
	assert_true(strstr(buf, "--ctstate DNAT -j ACCEPT") < strstr(buf, "-o lan -j DROP"));
	assert_true(lab_nat_ruleset(lab_nat_find("rc"), &prm, buf, sizeof(buf)) > 0);
	assert_null(strstr(buf, "-m recent"));
	/* every personality keeps the home router's inbound firewall */
	assert_non_null(strstr(buf, "-A INPUT -i wan -m conntrack --ctstate NEW -j DROP\n"));
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
	struct lab_nat_params evil = { "wan\n-A INPUT -j ACCEPT", "lan", "10.0.1.2", 4000 };
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
	assert_null(strstr(buf, "-A INPUT"));
	assert_null(strstr(buf, "DROP"));
	assert_non_null(strstr(buf, "-A POSTROUTING -o wan -j MASQUERADE\n"));
	/* a restricted cone still needs its memory of destinations */
	assert_true(lab_nat_ruleset(lab_nat_find("rc"), &bare, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "--ctstate DNAT -j ACCEPT"));
	assert_true(lab_nat_cone_ruleset(lab_nat_find("rc"), &bare, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "add @filter"));
}

/* --nat-sessions: one logged refusal of new flows out beyond the cap,
 * ahead of every other filter rule, on both lan ports of one router. */
static void test_session_cap(void **state)
{
	static const char cap[] =
		"-A FORWARD -i lan -o wan -m conntrack --ctstate NEW -m connlimit "
		"--connlimit-above 16 --connlimit-mask 0 -j NFLOG --nflog-group 7 "
		"--nflog-prefix sessions --nflog-size 128\n"
		"-A FORWARD -i lan -o wan -m conntrack --ctstate NEW -m connlimit "
		"--connlimit-above 16 --connlimit-mask 0 -j DROP\n";
	struct lab_nat_params p = prm, same = prm;
	char buf[4096];

	(void)state;
	assert_true(lab_nat_ruleset(lab_nat_find("prc"), &p, buf, sizeof(buf)) > 0);
	assert_null(strstr(buf, "connlimit"));
	p.sessions = 16;
	assert_true(lab_nat_ruleset(lab_nat_find("sym"), &p, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, ":OUTPUT ACCEPT [0:0]\n-A FORWARD -i lan -o wan"));
	assert_non_null(strstr(buf, cap));
	p.no_firewall = true;
	assert_true(lab_nat_ruleset(lab_nat_find("prc"), &p, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, cap));
	same.lan2 = "lan2";
	same.host2 = "10.0.2.2";
	same.public_addr = "198.51.100.10";
	same.sessions = 16;
	assert_true(lab_nat_ruleset(lab_nat_find("prc"), &same, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "-A FORWARD -i lan2 -o wan -m conntrack --ctstate NEW -m "
				    "connlimit --connlimit-above 16 --connlimit-mask 0 -j DROP\n"));
}

static void test_same_nat_hairpin(void **state)
{
	struct lab_nat_params same = { "wan", "lan", "10.0.1.2", 4000, false, "lan2", "10.0.2.2",
				       "198.51.100.10", false };
	char buf[3072];

	(void)state;
	assert_true(lab_nat_ruleset(lab_nat_find("prc"), &same, buf, sizeof(buf)) > 0);
	/* pinned endpoint-independent mappings, the lans isolated */
	assert_non_null(strstr(buf, "-A POSTROUTING -o wan -s 10.0.2.2 -p udp --sport 4000 "
				    "-j SNAT --to-source 198.51.100.10:4001\n"));
	assert_non_null(strstr(buf, "-A FORWARD -i lan -o lan2 -j DROP\n"));
	assert_null(strstr(buf, "DNAT"));
	same.hairpin = true;
	assert_true(lab_nat_ruleset(lab_nat_find("prc"), &same, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "-A PREROUTING -i lan -d 198.51.100.10 -p udp --dport 4001 "
				    "-j DNAT --to-destination 10.0.2.2:4000\n"));
	/* the hairpinned datagram shows the sender's public endpoint (REQ-9) */
	assert_non_null(strstr(buf, "-A POSTROUTING -o lan2 -s 10.0.1.2 -p udp --sport 4000 -m "
				    "conntrack --ctstate DNAT -j SNAT --to-source 198.51.100.10:4000\n"));
	assert_true(strstr(buf, "-i lan -o lan2 -m conntrack --ctstate DNAT -j ACCEPT") <
		    strstr(buf, "-A FORWARD -i lan -o lan2 -j DROP"));
	/* the shared router has no cone filter */
	assert_int_equal(lab_nat_cone_ruleset(lab_nat_find("prc"), &same, buf, sizeof(buf)), 0);
	/* only a port-restricted router can be shared */
	assert_int_equal(lab_nat_ruleset(lab_nat_find("sym"), &same, buf, sizeof(buf)), -EINVAL);
	same.public_addr = "1.2.3.4\n-A INPUT -j ACCEPT";
	assert_int_equal(lab_nat_ruleset(lab_nat_find("prc"), &same, buf, sizeof(buf)), -EINVAL);
}

/* A ruleset is bytes from the row's templates: full cone's exactly. */
static void test_full_cone_ruleset_text(void **state)
{
	const char *want =
		"*nat\n"
		":PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
		":POSTROUTING ACCEPT [0:0]\n"
		"-A POSTROUTING -o wan -j MASQUERADE\n"
		"COMMIT\n"
		"*filter\n"
		":INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
		"-A INPUT -i wan -m conntrack --ctstate NEW"
		" -j NFLOG --nflog-group 7 --nflog-prefix fw-input --nflog-size 128\n"
		"-A INPUT -i wan -m conntrack --ctstate NEW -j DROP\n"
		"-A FORWARD -i wan -o lan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n"
		"-A FORWARD -i wan -o lan -m conntrack --ctstate DNAT -j ACCEPT\n"
		"-A FORWARD -i wan -o lan"
		" -j NFLOG --nflog-group 7 --nflog-prefix fw-forward --nflog-size 128\n"
		"-A FORWARD -i wan -o lan -j DROP\n"
		"COMMIT\n"
		"*mangle\n"
		":PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
		":OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
		"-A PREROUTING -p udp"
		" -j NFLOG --nflog-group 7 --nflog-prefix in --nflog-size 128\n"
		"-A PREROUTING -p icmp --icmp-type destination-unreachable"
		" -j NFLOG --nflog-group 7 --nflog-prefix in --nflog-size 128\n"
		"-A PREROUTING -p icmp --icmp-type time-exceeded"
		" -j NFLOG --nflog-group 7 --nflog-prefix in --nflog-size 128\n"
		"-A POSTROUTING -p udp"
		" -j NFLOG --nflog-group 7 --nflog-prefix out --nflog-size 128\n"
		"-A POSTROUTING -p icmp --icmp-type destination-unreachable"
		" -j NFLOG --nflog-group 7 --nflog-prefix out --nflog-size 128\n"
		"-A POSTROUTING -p icmp --icmp-type time-exceeded"
		" -j NFLOG --nflog-group 7 --nflog-prefix out --nflog-size 128\n"
		"COMMIT\n";
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
		assert_non_null(strstr(buf, "-A INPUT -i wan -m conntrack --ctstate NEW -j DROP\n"));
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
	/* RFC 4787 s.4.2.1: MASQUERADE preserves a free port, --random-fully not */
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

/* Every DROP is told: the line before it is the same match logging to the
 * trace's group with a drop rule's name (trace.h), so the glass box can
 * say which rule dropped what. Returns how many drops the text has. */
static int drops_logged(const char *buf)
{
	const char *line = buf, *prev = NULL, *nl;
	int n = 0;

	for (; (nl = strchr(line, '\n')) != NULL; prev = line, line = nl + 1) {
		const char *drop = strstr(line, " -j DROP\n");
		char want[256];
		enum lab_tr_rule rule;

		if (!drop || drop > nl)
			continue;
		n++;
		assert_non_null(prev);
		/* the same match ... */
		assert_int_equal(strncmp(prev, line, (size_t)(drop - line)), 0);
		/* ... logged with a rule's name */
		assert_int_equal(sscanf(prev + (drop - line), " -j NFLOG --nflog-group 7 "
					"--nflog-prefix %255s", want), 1);
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
		assert_non_null(strstr(buf, "--nflog-prefix fw-input --nflog-size 128\n"
					    "-A INPUT -i wan -m conntrack --ctstate NEW -j DROP\n"));
	}
	assert_true(lab_nat_ruleset(lab_nat_find("prc"), &same, buf, sizeof(buf)) > 0);
	assert_int_equal(drops_logged(buf), 5);
	assert_non_null(strstr(buf, "--nflog-prefix isolation --nflog-size 128\n"
				    "-A FORWARD -i lan -o lan2 -j DROP\n"));
	/* no firewall: nothing dropped, the datagrams still watched */
	bare.no_firewall = true;
	assert_true(lab_nat_ruleset(lab_nat_find("prc"), &bare, buf, sizeof(buf)) > 0);
	assert_int_equal(drops_logged(buf), 0);
	assert_null(strstr(buf, "fw-input"));
	assert_non_null(strstr(buf, "-A PREROUTING -p udp -j NFLOG --nflog-group 7 "
				    "--nflog-prefix in --nflog-size 128\n"));
	assert_non_null(strstr(buf, "-A POSTROUTING -p icmp --icmp-type time-exceeded -j NFLOG "
				    "--nflog-group 7 --nflog-prefix out --nflog-size 128\n"));
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
		cmocka_unit_test(test_every_row),
		cmocka_unit_test(test_nflog_before_each_drop),
		cmocka_unit_test(test_session_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
