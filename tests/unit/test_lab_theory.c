// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lab/nat.h"
#include "lab/theory.h"

static const char *predict(const struct lab_nat_personality *a,
			   const struct lab_nat_personality *b)
{
	struct lab_theory_case c = { .relay = true };

	c.a = a->props;
	c.b = b->props;
	return lab_outcome_name(lab_theory_predict(&c));
}

static bool named(const struct lab_nat_personality *p, const char *name)
{
	return !strcmp(p->name, name);
}

/* What the lab observed running every pair of its personalities (the
 * table in docs/nat-types.md, which `lab matrix` rechecks cell by cell):
 * the chat is relayed exactly where a port-restricted or symmetric side
 * meets a symmetric one, and goes direct everywhere else. */
static void test_personality_matrix(void **state)
{
	size_t i, j;

	(void)state;
	/* the observation covers four personalities; a new one adds its own */
	assert_int_equal(lab_nat_count(), 4);
	for (i = 0; i < lab_nat_count(); i++)
		for (j = 0; j < lab_nat_count(); j++) {
			const struct lab_nat_personality *a = lab_nat_at(i), *b = lab_nat_at(j);
			bool strict_a = named(a, "port-restricted") || named(a, "symmetric"),
			     strict_b = named(b, "port-restricted") || named(b, "symmetric");
			bool hard = (strict_a && named(b, "symmetric")) ||
				    (named(a, "symmetric") && strict_b);

			assert_string_equal(predict(a, b), hard ? "relay" : "direct");
		}
}

static void test_symmetric_needs_peer_reflexive_answer(void **state)
{
	struct lab_nat_props fc = lab_nat_find("fc")->props, sym = lab_nat_find("sym")->props,
			     rc = lab_nat_find("rc")->props, prc = lab_nat_find("prc")->props;

	(void)state;
	/* the symmetric side's first packet comes from a port nobody was told */
	assert_true(lab_theory_first_packet(&sym, &fc));
	assert_true(lab_theory_first_packet(&sym, &rc));
	assert_false(lab_theory_first_packet(&sym, &prc));
	/* and nothing aimed at the symmetric side's server mapping gets in */
	assert_false(lab_theory_first_packet(&fc, &sym));
	assert_true(lab_theory_first_packet(&prc, &prc));
}

static void test_hypothetical_properties(void **state)
{
	/* not a lab personality: symmetric mapping with address-dependent
	 * filtering still talks to a port-restricted peer (the answer only
	 * needs the address) */
	struct lab_theory_case c = { .a = { LAB_MAP_APD, LAB_FILT_AD },
				     .b = { LAB_MAP_EI, LAB_FILT_APD }, .relay = true };

	(void)state;
	assert_int_equal(lab_theory_predict(&c), LAB_OUTCOME_RELAY);
	c.b.filtering = LAB_FILT_AD;
	assert_int_equal(lab_theory_predict(&c), LAB_OUTCOME_DIRECT);
	c.a.filtering = LAB_FILT_APD;
	c.b.mapping = LAB_MAP_AD;
	assert_int_equal(lab_theory_predict(&c), LAB_OUTCOME_RELAY);
}

static void test_no_relay_means_failed(void **state)
{
	struct lab_theory_case c = { .a = lab_nat_find("sym")->props,
				     .b = lab_nat_find("sym")->props };

	(void)state;
	assert_int_equal(lab_theory_predict(&c), LAB_OUTCOME_FAILED);
	c.relay = true;
	assert_int_equal(lab_theory_predict(&c), LAB_OUTCOME_RELAY);
}

static void test_same_nat_depends_on_hairpin(void **state)
{
	struct lab_theory_case c = { .a = lab_nat_find("prc")->props,
				     .b = lab_nat_find("prc")->props, .same_nat = true,
				     .relay = true };

	(void)state;
	assert_int_equal(lab_theory_predict(&c), LAB_OUTCOME_RELAY);
	c.hairpin = true;
	assert_int_equal(lab_theory_predict(&c), LAB_OUTCOME_DIRECT);
}

/* One LAN switch: the host candidates reach each other without a NAT on
 * the way, so every personality, hairpin or not, is direct. */
static void test_same_lan_is_direct(void **state)
{
	size_t i, j;
	int h;

	(void)state;
	for (i = 0; i < lab_nat_count(); i++)
		for (j = 0; j < lab_nat_count(); j++)
			for (h = 0; h < 2; h++) {
				struct lab_theory_case c = { .a = lab_nat_at(i)->props,
							     .b = lab_nat_at(j)->props,
							     .same_lan = true, .hairpin = h,
							     .relay = h };

				assert_int_equal(lab_theory_predict(&c), LAB_OUTCOME_DIRECT);
			}
}

/* Double NAT: the chain is endpoint-dependent if any layer is, filters as
 * its strictest layer; port-restricted over port-restricted stays
 * port-restricted (direct), a symmetric CGN makes the side symmetric
 * (relay against a port-restricted peer). */
static void test_cgnat_chain(void **state)
{
	const struct lab_nat_personality *prc = lab_nat_find("port-restricted"),
					 *sym = lab_nat_find("symmetric"),
					 *fc = lab_nat_find("full-cone");
	struct lab_nat_props ch;
	struct lab_theory_case c = { .relay = true };

	(void)state;
	ch = lab_theory_chain(&prc->props, &prc->props);
	assert_ptr_equal(lab_nat_find_props(&ch), prc);
	ch = lab_theory_chain(&fc->props, &prc->props);
	assert_ptr_equal(lab_nat_find_props(&ch), prc);
	ch = lab_theory_chain(&prc->props, &fc->props);
	assert_ptr_equal(lab_nat_find_props(&ch), prc);
	ch = lab_theory_chain(&sym->props, &fc->props);
	assert_ptr_equal(lab_nat_find_props(&ch), sym);
	c.a = c.b = lab_theory_chain(&prc->props, &prc->props);
	assert_int_equal(lab_theory_predict(&c), LAB_OUTCOME_DIRECT);
	c.a = c.b = lab_theory_chain(&prc->props, &sym->props);
	assert_int_equal(lab_theory_predict(&c), LAB_OUTCOME_RELAY);
	c.b = prc->props;
	assert_int_equal(lab_theory_predict(&c), LAB_OUTCOME_RELAY);
}

/* The spray's known points (docs/nat-types.md, "Hard NATs"): exact
 * 1 - C(M-K, N)/C(M, N) for K = 256 of M = 64512. */
static void test_spray_formula(void **state)
{
	(void)state;
	assert_true(hp_spray_p_easy_hard(256, 174, 64512) > 0.4997 &&
		    hp_spray_p_easy_hard(256, 174, 64512) < 0.4999);
	assert_true(hp_spray_p_easy_hard(256, 256, 64512) > 0.6393 &&
		    hp_spray_p_easy_hard(256, 256, 64512) < 0.6395);
	assert_true(hp_spray_p_easy_hard(256, 1024, 64512) > 0.9834 &&
		    hp_spray_p_easy_hard(256, 1024, 64512) < 0.9836);
	assert_true(hp_spray_p_easy_hard(256, 2048, 64512) > 0.99974 &&
		    hp_spray_p_easy_hard(256, 2048, 64512) < 0.99975);
	/* no socket or no probe: never; more probes than closed ports: always */
	assert_true(hp_spray_p_easy_hard(0, 1024, 64512) == 0.0);
	assert_true(hp_spray_p_easy_hard(256, 0, 64512) == 0.0);
	assert_true(hp_spray_p_easy_hard(256, 64512 - 255, 64512) == 1.0);
	assert_true(hp_spray_p_easy_hard(1, 1, 2) == 0.5);
	/* both hard, 1024 each: 1 - exp(-1024^2/64512^2) = 0.0252 % */
	assert_true(hp_spray_p_hard_hard(1024, 64512) > 0.000251 &&
		    hp_spray_p_hard_hard(1024, 64512) < 0.000253);
	assert_true(hp_spray_p_hard_hard(0, 64512) == 0.0);
}

/* Which cells the spray decides: easy (EIM) against hard, whatever either
 * filters; hard against hard never; direct cells stay certain. */
static void test_spray_cells(void **state)
{
	struct lab_nat_props prc = lab_nat_find("prc")->props, sym = lab_nat_find("sym")->props,
			     fc = lab_nat_find("fc")->props;
	struct lab_spray s = lab_spray_defaults();
	struct lab_theory_case c = { .a = prc, .b = sym, .relay = true };
	struct lab_prediction p;

	(void)state;
	assert_int_equal(s.ports, 256);
	assert_int_equal(s.probes, 1024);
	lab_theory_predict_p(&c, NULL, &p);
	assert_true(p.spray && !p.hard_hard);
	assert_int_equal(p.path, LAB_OUTCOME_RELAY);
	assert_true(p.p_direct > 0.98 && p.p_direct < 0.99);
	assert_int_equal(p.assumed.probes, 1024);
	s.probes = 256;
	c.a = sym, c.b = prc;
	lab_theory_predict_p(&c, &s, &p);
	assert_true(p.spray && p.p_direct > 0.63 && p.p_direct < 0.64);
	assert_int_equal(p.assumed.probes, 256);
	c.a = sym;
	c.b = sym;
	lab_theory_predict_p(&c, NULL, &p);
	assert_true(!p.spray && p.hard_hard && p.p_direct == 0.0);
	c.b = fc;
	lab_theory_predict_p(&c, NULL, &p);
	assert_true(!p.spray && p.p_direct == 1.0 && p.path == LAB_OUTCOME_DIRECT);
	/* a hard CGN makes both homes hard */
	c.a = c.b = lab_theory_chain(&prc, &sym);
	lab_theory_predict_p(&c, NULL, &p);
	assert_true(p.hard_hard && p.p_direct == 0.0);
	/* one router, no hairpin: no spray crosses it */
	c.a = c.b = prc;
	c.same_nat = true;
	lab_theory_predict_p(&c, NULL, &p);
	assert_true(!p.spray && p.p_direct == 0.0);
	assert_true(lab_theory_sprayable(&prc, &sym) && !lab_theory_sprayable(&sym, &prc));
}

static void test_names_match_probe_spelling(void **state)
{
	(void)state;
	assert_string_equal(lab_mapping_name(LAB_MAP_EI), "endpoint-independent");
	assert_string_equal(lab_mapping_name(LAB_MAP_AD), "address-dependent");
	assert_string_equal(lab_filtering_name(LAB_FILT_APD), "address-and-port-dependent");
	assert_string_equal(lab_outcome_name(LAB_OUTCOME_FAILED), "failed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_personality_matrix),
		cmocka_unit_test(test_symmetric_needs_peer_reflexive_answer),
		cmocka_unit_test(test_hypothetical_properties),
		cmocka_unit_test(test_no_relay_means_failed),
		cmocka_unit_test(test_same_nat_depends_on_hairpin),
		cmocka_unit_test(test_names_match_probe_spelling),
		cmocka_unit_test(test_same_lan_is_direct),
		cmocka_unit_test(test_cgnat_chain),
		cmocka_unit_test(test_spray_formula),
		cmocka_unit_test(test_spray_cells),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
