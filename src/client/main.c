// SPDX-License-Identifier: MIT
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "client/client.h"
#include "client/probe.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

int main(int argc, char **argv)
{
	struct client_opts o;
	struct sigaction sa;
	static struct client c;
	sigset_t block;
	int ret;

	ret = client_opts_parse(&o, argc, argv, stderr);
	if (ret)
		return ret > 0 ? 0 : 2;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* delivered only inside ppoll(), see client_run() */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, NULL);

	if (o.probe)
		return probe_run(&o, &stop_signal);
	if (client_init(&c, &o) < 0) {
		client_free(&c);
		return 1;
	}
	ret = client_run(&c, &stop_signal);
	client_free(&c);
	return ret;
}
