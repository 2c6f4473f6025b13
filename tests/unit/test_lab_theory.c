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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
