// SPDX-License-Identifier: MIT
/*
 * hpserver: parses the command line (opts.c) and hands over to the loop
 * (server.c), which also takes the signals (a signalfd). Exit status:
 * 0 = clean stop or --help, 1 = fatal error, 2 = usage error.
 */
#include <stdio.h>

#include "server/opts.h"
#include "server/server.h"

int main(int argc, char **argv)
{
	struct server_opts o;
	struct server srv;
	int ret;

	ret = server_opts_parse(&o, argc, argv, stdout, stderr);
	if (ret != 0)
		return ret < 0 ? 2 : 0;
	if (server_open(&srv, &o) < 0)
		return 1;
	ret = server_run(&srv);
	server_close(&srv);
	return ret < 0 ? 1 : 0;
}
