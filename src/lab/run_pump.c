// SPDX-License-Identifier: MIT
/*
 * One poll round of `labrun run`: every child's pipes and exit, the delay
 * engines and the signalfd. Lines go to run_events.c; the engines release
 * what is due; a signal is noted in the run for the driver to act on.
 */
#include <errno.h>
#include <poll.h>
#include <time.h>

#include "glass.h"
#include "nfq.h"
#include "scenario_int.h"
#include "sig.h"

/* Held packets whose time has come, in every engine. */
static void release(struct run *r)
{
	for (int i = 0; i < 2; i++)
		if (r->nfq[i])
			lab_nfq_release_due_us(r->nfq[i], lab_nfq_now_us());
}

void run_pump(struct run *r, int timeout_ms)
{
	struct pollfd pfd[40];
	struct lab_proc *procs[2 + RUN_SIDES + 2];
	int eng_at[2] = { -1, -1 };
	nfds_t n = 0;
	size_t i, np = 0;
	int64_t wait_us = (int64_t)(timeout_ms < 0 ? 0 : timeout_ms) * 1000;
	struct timespec ts;

	pfd[n++] = (struct pollfd){ .fd = r->sigfd, .events = POLLIN };
	if (r->server_started)
		procs[np++] = &r->server;
	for (i = 0; i < RUN_SIDES; i++) {
		if (r->side[i].started)
			procs[np++] = &r->side[i].proc;
		if (r->side[i].probe_started)
			procs[np++] = &r->side[i].probe;
	}
	for (i = 0; i < np; i++) {
		if (procs[i]->out.fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = procs[i]->out.fd, .events = POLLIN };
		if (procs[i]->err.fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = procs[i]->err.fd, .events = POLLIN };
		if (!procs[i]->exited && procs[i]->pidfd >= 0)
			pfd[n++] = (struct pollfd){ .fd = procs[i]->pidfd, .events = POLLIN };
	}
	/* the engines' next release bounds the wait: microseconds, with
	 * ppoll, so a 50 ms delay is not rounded to whole milliseconds */
	release(r);
	for (i = 0; i < 2; i++) {
		int64_t due;

		if (!r->nfq[i])
			continue;
		eng_at[i] = (int)n;
		pfd[n++] = (struct pollfd){ .fd = lab_nfq_fd(r->nfq[i]), .events = POLLIN };
		due = lab_nfq_next_due_us(r->nfq[i], lab_nfq_now_us());
		if (due >= 0 && due < wait_us)
			wait_us = due;
	}
	if (r->glass)
		n += lab_glass_pollfds(r->glass, pfd + n, sizeof(pfd) / sizeof(pfd[0]) - n);
	ts.tv_sec = (time_t)(wait_us / 1000000);
	ts.tv_nsec = (long)(wait_us % 1000000) * 1000;
	if (ppoll(pfd, n, &ts, NULL) < 0 && errno != EINTR)
		return;
	for (i = 0; i < 2; i++)
		if (eng_at[i] >= 0 && pfd[eng_at[i]].revents)
			lab_nfq_on_readable_us(r->nfq[i], lab_nfq_now_us());
	release(r);
	/* the NATs' records before the clients' lines: a datagram is logged
	 * by the NAT before the client can say what came of it */
	if (r->glass)
		lab_glass_read(r->glass);
	if (!r->signo)
		r->signo = lab_sig_check(r->sigfd);
	for (i = 0; i < np; i++) {
		lab_proc_pump(procs[i], 1, run_on_line, r);
		lab_proc_pump(procs[i], 2, run_on_line, r);
		lab_proc_reap(procs[i]);
	}
}
