// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "xmlcheck.h"

int xml_check(const char *doc, const char *check)
{
	char cmd[1024];
	FILE *p;
	int st;

	if (system("command -v python3 >/dev/null 2>&1") != 0)
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import sys, xml.etree.ElementTree as E\n"
		 "d = E.fromstring(sys.stdin.buffer.read())\n%s\n'", check);
	p = popen(cmd, "w");
	assert_non_null(p);
	fputs(doc, p);
	st = pclose(p);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
