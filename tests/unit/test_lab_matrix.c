// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lab/matrix.h"
#include "lab/nat.h"

static void test_cells_cover_every_pair_and_same_nat(void **state)
{
	struct lab_cell cells[LAB_MATRIX_MAX_CELLS];
	size_t n = lab_matrix_cells(cells, LAB_MATRIX_MAX_CELLS), i, j, same = 0;

	(void)state;
	assert_int_equal(n, 18);
	for (i = 0; i < n; i++) {
		assert_non_null(lab_nat_find(cells[i].nat_a));
		assert_non_null(lab_nat_find(cells[i].nat_b));
		if (cells[i].same_nat) {
			same++;
			assert_true(cells[i].hairpin == 0 || cells[i].hairpin == 1);
			continue;
		}
		assert_int_equal(cells[i].hairpin, -1);
		for (j = 0; j < i; j++)
			assert_false(!cells[j].same_nat && !strcmp(cells[i].nat_a, cells[j].nat_a) &&
				     !strcmp(cells[i].nat_b, cells[j].nat_b));
	}
	assert_int_equal(same, 2);
	assert_true(cells[16].hairpin != cells[17].hairpin);
	/* a short table is cut, not overrun */
	assert_int_equal(lab_matrix_cells(cells, 5), 5);
}

static void test_json_shape(void **state)
{
	struct lab_cell cells[LAB_MATRIX_MAX_CELLS];
	size_t n = lab_matrix_cells(cells, LAB_MATRIX_MAX_CELLS);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	snprintf(cells[3].reason, sizeof(cells[3].reason), "a \"quoted\" reason");
	lab_matrix_print(f, LAB_FORMAT_JSON, cells, n, 4.25, 6, 0);
	fclose(f);
	assert_non_null(strstr(text, "{\"result\":\"fail\",\"seconds\":4.250,\"jobs\":6,\"cells\":[{"));
	assert_non_null(strstr(text, "\"nat_a\":\"full-cone\",\"nat_b\":\"symmetric\","
				     "\"same_nat\":false,\"hairpin\":null,"));
	assert_non_null(strstr(text, "\"same_nat\":true,\"hairpin\":false,"));
	assert_non_null(strstr(text, "a \\\"quoted\\\" reason"));
	assert_int_equal(text[len - 1], '\n');
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cells_cover_every_pair_and_same_nat),
		cmocka_unit_test(test_json_shape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
