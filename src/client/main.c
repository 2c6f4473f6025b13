// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client/client.h"
#include "client/probe.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/*
 * Started with stdin, stdout or stderr closed, the UDP socket would take
 * that number: stdin reads would eat datagrams as chat lines and output
 * would go on the wire. /dev/null fills the gap (open() takes the lowest
 * free number, and the lower ones are open by then).
 */
static int main_std_fds(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (open("/dev/null", O_RDWR) != fd)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct client_opts o;
	struct sigaction sa;
	static struct client c;
	sigset_t block;
	int ret;

	if (main_std_fds() < 0)
		return 1;
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
