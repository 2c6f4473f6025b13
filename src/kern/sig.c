// SPDX-License-Identifier: MIT
#include <errno.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "sig.h"

int lab_sig_open(void)
{
	static const int watched[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t set;
	size_t i;
	int fd;

	sigemptyset(&set);
	for (i = 0; i < sizeof(watched) / sizeof(watched[0]); i++)
		sigaddset(&set, watched[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	/*
	 * Whatever we inherited, these are now read from the signalfd. A
	 * shell starts a background job with SIGINT ignored, and SIG_IGN
	 * survives execve(2) (signal(7)); for an ignored signal that is
	 * blocked, POSIX leaves it unspecified whether it is discarded at
	 * generation or stays pending (XSH 2.4.1), and signalfd(2) only
	 * sees pending ones. Blocked first, then SIG_DFL: a signal can no
	 * longer be lost, nor kill us, and the children (proc.c unblocks
	 * their mask) start with the default action, not an inherited ignore.
	 */
	for (i = 0; i < sizeof(watched) / sizeof(watched[0]); i++)
		if (sigaction(watched[i], &dfl, NULL) < 0)
			return -errno;
	/* a child that went away must not kill us while we write its stdin */
	signal(SIGPIPE, SIG_IGN);
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int lab_sig_check(int sigfd)
{
	struct signalfd_siginfo si;
	ssize_t n;

	if (sigfd < 0)
		return 0;
	do
		n = read(sigfd, &si, sizeof(si));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(si) ? (int)si.ssi_signo : 0;
}

const char *lab_sig_name(int signo)
{
	switch (signo) {
	case SIGINT:
		return "SIGINT";
	case SIGTERM:
		return "SIGTERM";
	case SIGHUP:
		return "SIGHUP";
	}
	return "a signal";
}
