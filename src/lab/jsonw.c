// SPDX-License-Identifier: MIT
/*
 * Key-value writers of the lab's JSON objects: every "no value" is null.
 */
#include <inttypes.h>
#include <string.h>

#include "json.h"
#include "jsonw.h"

void lab_jw_str(FILE *f, const char *key, const char *val)
{
	fprintf(f, "\"%s\":", key);
	if (!val || !val[0])
		fputs("null", f);
	else
		hp_json_write_string(f, val, strlen(val));
}

void lab_jw_ms(FILE *f, const char *key, int64_t ms)
{
	if (ms < 0)
		fprintf(f, "\"%s\":null", key);
	else
		fprintf(f, "\"%s\":%" PRId64, key, ms);
}

void lab_jw_bool(FILE *f, const char *key, bool val)
{
	fprintf(f, "\"%s\":%s", key, val ? "true" : "false");
}

void lab_jw_tristate(FILE *f, const char *key, int val)
{
	if (val < 0)
		fprintf(f, "\"%s\":null", key);
	else
		lab_jw_bool(f, key, val);
}
