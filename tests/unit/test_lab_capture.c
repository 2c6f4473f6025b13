// SPDX-License-Identifier: MIT
/*
 * The NATs' captures (capture.c): which interfaces each plan captures,
 * the directory rule, then - as root - a capture on one end of a veth
 * between two namespaces (netpair.h), written and read back with libpcap.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "lab/capture.h"
#include "lab/plan.h"
#include "netpair.h"

/* "rA-wan rA-lan ..." of a plan */
static void ifaces_of(const struct lab_plan *p, char *buf, size_t len)
{
	struct lab_capture_iface f[LAB_CAPTURE_MAX];
	size_t i, n = lab_capture_ifaces(p, f, LAB_CAPTURE_MAX), off = 0;

	assert_true(n <= LAB_CAPTURE_MAX);
	buf[0] = '\0';
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s-%s", i ? " " : "",
					lab_plan_nodes[f[i].node].suffix, f[i].name);
}

static void test_capture_ifaces(void **state)
{
	char got[256];

	(void)state;
	ifaces_of(lab_plan_get(LAB_TOPOLOGY_HOME, false), got, sizeof(got));
	assert_string_equal(got, "rA-wan rA-lan rB-wan rB-lan");
	ifaces_of(lab_plan_get(LAB_TOPOLOGY_HOME, true), got, sizeof(got));
	assert_string_equal(got, "rA-wan rA-lan rA-lan2");
	ifaces_of(lab_plan_get(LAB_TOPOLOGY_SAME_LAN, false), got, sizeof(got));
	assert_string_equal(got, "rA-wan rA-portA rA-portB rA-lan");
	ifaces_of(lab_plan_get(LAB_TOPOLOGY_CGNAT, false), got, sizeof(got));
	assert_string_equal(got, "rA-wan rA-lan rB-wan rB-lan cA-wan cA-lan cB-wan cB-lan");
	ifaces_of(lab_plan_get(LAB_TOPOLOGY_CGNAT_SAME, false), got, sizeof(got));
	assert_string_equal(got, "rA-wan rA-lan rB-wan rB-lan cA-wan cA-lan cA-lan2");
	/* the count without storing: what the narrative says */
	assert_int_equal(lab_capture_ifaces(lab_plan_get(LAB_TOPOLOGY_CGNAT, false), NULL, 0), 8);
}

static void test_capture_dir(void **state)
{
	char top[] = "/tmp/hplab-capture.XXXXXX", path[128], err[256];

	(void)state;
	assert_non_null(mkdtemp(top));
	snprintf(path, sizeof(path), "%s/caps", top);
	/* one level is made, twice is fine */
	assert_int_equal(lab_capture_dir_ready(path, err, sizeof(err)), 0);
	assert_int_equal(lab_capture_dir_ready(path, err, sizeof(err)), 0);
	rmdir(path);
	/* two are not */
	snprintf(path, sizeof(path), "%s/no/caps", top);
	assert_int_equal(lab_capture_dir_ready(path, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, path));
	/* a file is no directory */
	snprintf(path, sizeof(path), "%s/file", top);
	fclose(fopen(path, "w"));
	assert_int_equal(lab_capture_dir_ready(path, err, sizeof(err)), -ENOTDIR);
	assert_non_null(strstr(err, "not a directory"));
	unlink(path);
	assert_int_equal(lab_capture_dir_ready("", err, sizeof(err)), -EINVAL);
	rmdir(top);
}

static int fx_setup(void **state)
{
	struct netpair *np = calloc(1, sizeof(*np));

	*state = np;
	if (!np)
		return -1;
	np->fa = np->fb = np->sa = np->sb = -1;
	if (geteuid() != 0)
		return 0; /* the tests skip */
	return netpair_setup(np, "hplcap");
}

static int fx_teardown(void **state)
{
	netpair_teardown(*state);
	free(*state);
	return 0;
}

struct seen {
	unsigned n, udp;
	bpf_u_int32 max_caplen;
};

static void count_udp(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct seen *s = (struct seen *)user;

	(void)bytes;
	s->n++;
	if (h->caplen > s->max_caplen)
		s->max_caplen = h->caplen;
}

/* A plan whose "router" rA is namespace a, its one interface the veth. */
static void test_root_capture_roundtrip(void **state)
{
	static const struct lab_link links[] = {
		{ { LAB_NODE_RA, NETPAIR_IFA, "10.98.0.1", 24 }, { LAB_NODE_HA, NETPAIR_IFB, "10.98.0.2", 24 } },
	};
	const struct lab_plan p = { .links = links, .nlinks = 1 };
	struct netpair *np = *state;
	char top[] = "/tmp/hplab-capture.XXXXXX", path[128], err[256], ebuf[PCAP_ERRBUF_SIZE];
	int fds[LAB_NODE_COUNT];
	uint8_t big[1000] = { 0 };
	struct lab_captures *c = NULL;
	struct lab_captures_stats st;
	struct pollfd pfd[LAB_CAPTURE_MAX];
	struct seen seen = { 0 };
	struct bpf_program prog;
	pcap_t *rd;
	int i, tries;

	if (geteuid() != 0)
		skip();
	for (i = 0; i < LAB_NODE_COUNT; i++)
		fds[i] = -1;
	fds[LAB_NODE_RA] = np->fa;
	assert_non_null(mkdtemp(top));
	assert_int_equal(lab_captures_open(&c, &p, fds, top, err, sizeof(err)), 0);
	assert_int_equal(lab_captures_pollfds(c, pfd, LAB_CAPTURE_MAX), 1);
	for (i = 0; i < 3; i++)
		assert_int_equal(sendto(np->sa, big, sizeof(big), 0, (struct sockaddr *)&np->addr_b,
					sizeof(np->addr_b)),
				 sizeof(big));
	/* each datagram is readable at once (immediate mode): bounded polls */
	for (tries = 0; tries < 50; tries++) {
		assert_true(poll(pfd, 1, 100) >= 0);
		assert_int_equal(lab_captures_pump(c), 0);
		snprintf(path, sizeof(path), "%s/rA-" NETPAIR_IFA ".pcap", top);
		rd = pcap_open_offline(path, ebuf);
		assert_non_null(rd);
		/* written as they come: the file has them before close */
		assert_int_equal(pcap_compile(rd, &prog, "udp", 1, PCAP_NETMASK_UNKNOWN), 0);
		assert_int_equal(pcap_setfilter(rd, &prog), 0);
		pcap_freecode(&prog);
		memset(&seen, 0, sizeof(seen));
		pcap_dispatch(rd, -1, count_udp, (u_char *)&seen);
		pcap_close(rd);
		if (seen.n >= 3)
			break;
	}
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.max_caplen, LAB_CAPTURE_SNAPLEN);
	assert_int_equal(lab_captures_close(c, &st, err, sizeof(err)), 0);
	assert_int_equal(st.files, 1);
	assert_true(st.packets >= 3);
	unlink(path);
	rmdir(top);
}

/* An interface the namespace does not have: one error naming it. */
static void test_root_capture_missing_iface(void **state)
{
	static const struct lab_link links[] = {
		{ { LAB_NODE_RA, "nosuch0", "10.98.0.1", 24 }, { LAB_NODE_HA, "x", "10.98.0.2", 24 } },
	};
	const struct lab_plan p = { .links = links, .nlinks = 1 };
	struct netpair *np = *state;
	char top[] = "/tmp/hplab-capture.XXXXXX", err[256];
	int fds[LAB_NODE_COUNT];
	struct lab_captures *c = NULL;
	int i;

	if (geteuid() != 0)
		skip();
	for (i = 0; i < LAB_NODE_COUNT; i++)
		fds[i] = -1;
	fds[LAB_NODE_RA] = np->fa;
	assert_non_null(mkdtemp(top));
	assert_true(lab_captures_open(&c, &p, fds, top, err, sizeof(err)) < 0);
	assert_null(c);
	assert_non_null(strstr(err, "cannot capture on rA's nosuch0"));
	rmdir(top);
	/* close of nothing is nothing */
	assert_int_equal(lab_captures_close(NULL, NULL, err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capture_ifaces),
		cmocka_unit_test(test_capture_dir),
		cmocka_unit_test_setup_teardown(test_root_capture_roundtrip, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_root_capture_missing_iface, fx_setup,
						fx_teardown),
	};

	if (geteuid() != 0)
		printf("SKIP: test_lab_capture namespace tests need root\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
