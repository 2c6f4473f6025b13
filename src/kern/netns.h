/* SPDX-License-Identifier: MIT */
#ifndef LAB_NETNS_H
#define LAB_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Named network namespaces, following iproute2's convention (a namespace
 * bind-mounted at /run/netns/NAME) so `ip netns list` and `ip netns exec`
 * work on the lab's namespaces. None of these leave the calling thread in
 * another namespace.
 */
#define LAB_NETNS_DIR "/run/netns"
#define LAB_NETNS_NAME_MAX 48

/* Creates /run/netns/NAME holding a fresh namespace (lo down). -EEXIST if taken. */
int lab_netns_create(const char *name);
/* What lab_netns_create_in does while the thread is inside the new
 * namespace anyway, saving a setns(2) round trip for each. */
struct lab_netns_sysctl {
	const char *path, *value; /* as lab_netns_sysctl() */
	bool optional;            /* no such file (the kernel lacks it): skipped */
};
struct lab_netns_inside {
	const struct lab_netns_sysctl *sysctls; /* written in order */
	size_t nsysctls;
	int netlink_bus;          /* >= 0: a NETLINK_* socket born inside, in sock */
	int sock;                 /* out: that socket (CLOEXEC, unbound), or -1 */
	int ns_fd;                /* out: the namespace, as lab_netns_open() */
};
/* lab_netns_create, and in (may be NULL) done inside. On failure nothing
 * is left: no namespace, no descriptor. */
int lab_netns_create_in(const char *name, struct lab_netns_inside *in);
/* Opens the namespace: returns an O_RDONLY|O_CLOEXEC fd or -errno. */
int lab_netns_open(const char *name);
/* Unmounts and removes /run/netns/NAME. -ENOENT if absent. */
int lab_netns_delete(const char *name);
/* setns(fd, CLONE_NEWNET) for the calling thread. */
int lab_netns_enter(int fd);
/* Fills names[] with the namespaces in /run/netns starting with prefix;
 * returns how many were found (may exceed max: only max are stored) or -errno. */
int lab_netns_list(const char *prefix, char (*names)[LAB_NETNS_NAME_MAX], size_t max);
/* Writes value to /proc/sys/<path> as seen from inside namespace fd
 * (path like "net/ipv4/ip_forward"). */
int lab_netns_sysctl(int fd, const char *path, const char *value);
/* socket(2) created inside namespace ns_fd (-1: the caller's own); a socket
 * stays in the namespace it was born in. Returns the fd (CLOEXEC) or -errno. */
int lab_netns_socket(int ns_fd, int domain, int type, int proto);
/* A bound libmnl socket on netlink bus `bus`, born inside ns_fd. */
struct mnl_socket;
int lab_netns_mnl_open(int ns_fd, int bus, struct mnl_socket **out);
/* One exchange on such a socket: sends len bytes of buf, then runs cb
 * (NULL: none) over the answers to seq, read into buf (cap bytes), until
 * the ACK or the end of a dump (mnl_cb_run(3)). 0 or -errno. */
struct nlmsghdr;
int lab_netns_mnl_talk(int ns_fd, int bus, void *buf, size_t cap, size_t len, uint32_t seq,
		       int (*cb)(const struct nlmsghdr *nlh, void *data), void *data);
/* Reads /proc/sys/<path> inside namespace fd (-1: the caller's own) into
 * buf, NUL-terminated, trailing newline stripped; returns its length. */
int lab_netns_sysctl_get(int fd, const char *path, char *buf, size_t len);

#endif
