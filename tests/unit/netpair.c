// SPDX-License-Identifier: MIT
/*
 * The two-namespace root fixture of netpair.h: the namespaces, the veth
 * between them, their addresses and one UDP socket in each.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "netpair.h"
#include "nl.h"

static int netpair_socket_in(int ns_fd)
{
	int saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int fd = -1;

	if (saved < 0)
		return -errno;
	if (lab_netns_enter(ns_fd) == 0)
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (lab_netns_enter(saved) < 0)
		abort(); /* a test stuck in another namespace must not go on */
	close(saved);
	return fd;
}

int netpair_restore(int ns_fd, const char *rules)
{
	int p[2], status = 0;
	pid_t pid;
	size_t len = strlen(rules), off = 0;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (lab_netns_enter(ns_fd) < 0 || dup2(p[0], 0) < 0)
			_exit(127);
		execl("/usr/bin/timeout", "timeout", "10", "/usr/sbin/iptables-restore", (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	while (off < len) {
		ssize_t n = write(p[1], rules + off, len - off);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(p[1]);
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

void netpair_teardown(struct netpair *np)
{
	if (np->sa >= 0)
		close(np->sa);
	if (np->sb >= 0)
		close(np->sb);
	if (np->fa >= 0)
		close(np->fa);
	if (np->fb >= 0)
		close(np->fb);
	/* Deleting a namespace takes its veth, rules and queue with it. */
	if (np->made_a)
		lab_netns_delete(np->na);
	if (np->made_b)
		lab_netns_delete(np->nb);
	np->sa = np->sb = np->fa = np->fb = -1;
	np->made_a = np->made_b = false;
}

int netpair_setup(struct netpair *np, const char *tag)
{
	struct lab_nl nl;
	struct in_addr a, b;
	socklen_t sl;
	int ret = -1;

	memset(np, 0, sizeof(*np));
	np->fa = np->fb = np->sa = np->sb = -1;
	snprintf(np->na, sizeof(np->na), "%s%d-a", tag, (int)getpid());
	snprintf(np->nb, sizeof(np->nb), "%s%d-b", tag, (int)getpid());
	inet_pton(AF_INET, "10.98.0.1", &a);
	inet_pton(AF_INET, "10.98.0.2", &b);
	if (lab_netns_create(np->na) < 0)
		goto out;
	np->made_a = true;
	if (lab_netns_create(np->nb) < 0)
		goto out;
	np->made_b = true;
	np->fa = lab_netns_open(np->na);
	np->fb = lab_netns_open(np->nb);
	if (np->fa < 0 || np->fb < 0)
		goto out;
	if (lab_nl_open(&nl, np->fa) < 0)
		goto out;
	ret = lab_nl_veth_create(&nl, NETPAIR_IFA, np->fa, NETPAIR_IFB, np->fb);
	if (ret == 0)
		ret = lab_nl_addr_add(&nl, NETPAIR_IFA, AF_INET, &a, 24);
	if (ret == 0)
		ret = lab_nl_link_up(&nl, NETPAIR_IFA);
	lab_nl_close(&nl);
	if (ret < 0 || lab_nl_open(&nl, np->fb) < 0)
		goto out;
	ret = lab_nl_addr_add(&nl, NETPAIR_IFB, AF_INET, &b, 24);
	if (ret == 0)
		ret = lab_nl_link_up(&nl, NETPAIR_IFB);
	lab_nl_close(&nl);
	if (ret < 0)
		goto out;
	ret = -1;
	np->sa = netpair_socket_in(np->fa);
	np->sb = netpair_socket_in(np->fb);
	if (np->sa < 0 || np->sb < 0)
		goto out;
	np->addr_a = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr = a };
	np->addr_b = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr = b };
	if (bind(np->sa, (struct sockaddr *)&np->addr_a, sizeof(np->addr_a)) < 0 ||
	    bind(np->sb, (struct sockaddr *)&np->addr_b, sizeof(np->addr_b)) < 0)
		goto out;
	sl = sizeof(np->addr_a);
	getsockname(np->sa, (struct sockaddr *)&np->addr_a, &sl);
	sl = sizeof(np->addr_b);
	getsockname(np->sb, (struct sockaddr *)&np->addr_b, &sl);
	ret = 0;
out:
	if (ret < 0)
		fprintf(stderr, "fixture: could not build the namespaces\n");
	return ret < 0 ? -1 : 0;
}
