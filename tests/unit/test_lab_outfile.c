// SPDX-License-Identifier: MIT
/*
 * The file formats' files: nothing at the path until the document is
 * complete, then all of it; a path that cannot be written fails at once
 * with one line, leaving nothing behind.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lab/outfile.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_lab_outfile.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_commit_is_all_or_nothing(void **state)
{
	const char *paths[LAB_FORMAT_COUNT] = { 0 };
	struct lab_outfiles s;
	char junit[128], md[128], err[256], buf[64] = "";
	mode_t mask = umask(022);
	struct stat st;
	FILE *f;

	(void)state;
	snprintf(junit, sizeof(junit), "%s/out.xml", dir);
	snprintf(md, sizeof(md), "%s/out.md", dir);
	paths[LAB_FORMAT_JUNIT] = junit;
	paths[LAB_FORMAT_MARKDOWN] = md;
	assert_int_equal(lab_outfiles_open(&s, paths, err, sizeof(err)), 0);
	assert_null(lab_outfiles_stream(&s, LAB_FORMAT_JSON));
	assert_non_null(lab_outfiles_stream(&s, LAB_FORMAT_JUNIT));
	fputs("<testsuite/>\n", lab_outfiles_stream(&s, LAB_FORMAT_JUNIT));
	fputs("| a |\n", lab_outfiles_stream(&s, LAB_FORMAT_MARKDOWN));
	/* only the temporary files exist while it is written */
	assert_int_equal(stat(junit, &st), -1);
	assert_int_equal(entries(), 2);
	assert_int_equal(lab_outfiles_commit(&s, err, sizeof(err)), 0);
	assert_int_equal(entries(), 2);
	f = fopen(junit, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "<testsuite/>\n");
	assert_int_equal(stat(md, &st), 0);
	assert_int_equal(st.st_size, 6);
	assert_int_equal(st.st_mode & 0777, 0644); /* the umask's, not mkstemp's 0600 */
	umask(mask);
	lab_outfiles_abort(&s); /* nothing left to remove: harmless */
	assert_int_equal(entries(), 2);
}

static void test_cannot_create(void **state)
{
	const char *paths[LAB_FORMAT_COUNT] = { 0 };
	struct lab_outfiles s;
	char ok[128], bad[128], err[256];

	(void)state;
	snprintf(ok, sizeof(ok), "%s/fine.xml", dir);
	snprintf(bad, sizeof(bad), "%s/no/such/dir/x.md", dir);
	paths[LAB_FORMAT_JUNIT] = ok;
	paths[LAB_FORMAT_MARKDOWN] = bad;
	assert_int_equal(lab_outfiles_open(&s, paths, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot write "));
	assert_non_null(strstr(err, "/no/such/dir/x.md: No such file or directory"));
	assert_null(strchr(err, '\n'));
	assert_int_equal(entries(), 0); /* fine.xml's temporary file went too */
}

static void test_abort_leaves_nothing(void **state)
{
	const char *paths[LAB_FORMAT_COUNT] = { 0 };
	struct lab_outfiles s;
	char p[128], err[256];

	(void)state;
	snprintf(p, sizeof(p), "%s/x.xml", dir);
	paths[LAB_FORMAT_JUNIT] = p;
	assert_int_equal(lab_outfiles_open(&s, paths, err, sizeof(err)), 0);
	fputs("half", lab_outfiles_stream(&s, LAB_FORMAT_JUNIT));
	lab_outfiles_abort(&s);
	lab_outfiles_abort(&s);
	assert_int_equal(entries(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commit_is_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cannot_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort_leaves_nothing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
