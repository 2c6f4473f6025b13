// SPDX-License-Identifier: MIT
/*
 * The NAT routers' captures (capture.h): libpcap packet sockets born in
 * the routers' namespaces, their packets dumped to pcap files.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "netns.h"

struct capture {
	struct lab_capture_iface f;
	char path[PATH_MAX];
	pcap_t *pcap;
	pcap_dumper_t *dump;
	int fd;              /* pcap_get_selectable_fd(); -1 once stopped */
	uint64_t packets;
	int err;             /* why it stopped: -errno, 0 while it runs */
	char why[PCAP_ERRBUF_SIZE];
};

struct lab_captures {
	size_t n;
	struct capture c[LAB_CAPTURE_MAX];
};

static void add_iface(struct lab_capture_iface *out, size_t max, size_t *n, enum lab_node node,
		      const char *name)
{
	if (*n < max)
		out[*n] = (struct lab_capture_iface){ node, name };
	(*n)++;
}

size_t lab_capture_ifaces(const struct lab_plan *p, struct lab_capture_iface *out, size_t max)
{
	size_t i, n = 0;
	int node;

	for (node = 0; node < LAB_NODE_COUNT; node++) {
		if (!lab_plan_nodes[node].nat || !lab_plan_has_node(p, (enum lab_node)node))
			continue;
		for (i = 0; i < p->nlinks; i++) {
			if (p->links[i].a.node == (enum lab_node)node)
				add_iface(out, max, &n, (enum lab_node)node, p->links[i].a.name);
			if (p->links[i].b.node == (enum lab_node)node)
				add_iface(out, max, &n, (enum lab_node)node, p->links[i].b.name);
		}
		for (i = 0; i < p->nbridges; i++)
			if (p->bridges[i].node == (enum lab_node)node)
				add_iface(out, max, &n, (enum lab_node)node, p->bridges[i].name);
	}
	return n;
}

/* "DIR/rA-wan.pcap" into buf; -ENAMETOOLONG if it does not fit. */
static int capture_path(char *buf, size_t len, const char *dir, const struct lab_capture_iface *f)
{
	int n;

	if (f->node >= LAB_NODE_COUNT)
		return -EINVAL;
	n = snprintf(buf, len, "%s/%s-%s.pcap", dir, lab_plan_nodes[f->node].suffix, f->name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* One level only: a typo in a parent stays an error rather than a tree
 * in the wrong place. */
int lab_capture_dir_ready(const char *dir, char *err, size_t errlen)
{
	struct stat sb;

	if (!dir[0]) {
		snprintf(err, errlen, "--pcap wants a directory");
		return -EINVAL;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		int ret = -errno;

		snprintf(err, errlen, "--pcap %s: cannot create the directory: %s", dir,
			 strerror(-ret));
		return ret;
	}
	if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "--pcap %s: not a directory", dir);
		return -ENOTDIR;
	}
	return 0;
}

/* The packet socket, made and bound while the thread is in the router's
 * namespace: pcap_activate() creates it and looks the interface up by
 * name there. */
static pcap_t *activate(const char *ifname, char *why)
{
	pcap_t *p = pcap_create(ifname, why);
	int ret;

	if (!p)
		return NULL;
	/* immediate: every packet is readable at once, none waits for a
	 * buffer to fill, so a short run's first punch is in the file */
	if (pcap_set_snaplen(p, LAB_CAPTURE_SNAPLEN) || pcap_set_immediate_mode(p, 1)) {
		snprintf(why, PCAP_ERRBUF_SIZE, "cannot set the capture options");
		pcap_close(p);
		return NULL;
	}
	ret = pcap_activate(p);
	if (ret < 0) {
		snprintf(why, PCAP_ERRBUF_SIZE, "%s%s%s", pcap_statustostr(ret),
			 pcap_geterr(p)[0] ? ": " : "", pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	return p;
}

static int open_in_ns(struct capture *c, int ns_fd)
{
	int saved, ret, back;

	saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (saved < 0)
		return -errno;
	ret = lab_netns_enter(ns_fd);
	if (ret == 0) {
		c->pcap = activate(c->f.name, c->why);
		if (!c->pcap)
			ret = -EIO;
		/* back home whatever happened; a thread left elsewhere is worse */
		back = lab_netns_enter(saved);
		if (back < 0 && ret == 0)
			ret = back;
	}
	close(saved);
	return ret;
}

static int capture_open(struct capture *c, int ns_fd, char *err, size_t errlen)
{
	int ret = open_in_ns(c, ns_fd);

	if (ret < 0) {
		snprintf(err, errlen, "cannot capture on %s's %s: %s", lab_plan_nodes[c->f.node].suffix,
			 c->f.name, c->why[0] ? c->why : strerror(-ret));
		return ret;
	}
	/* pcap_setnonblock() fills why itself on failure */
	if (pcap_setnonblock(c->pcap, 1, c->why) == 0) {
		c->fd = pcap_get_selectable_fd(c->pcap);
		if (c->fd < 0)
			snprintf(c->why, sizeof(c->why), "no descriptor to poll");
	}
	if (c->fd < 0) {
		snprintf(err, errlen, "cannot capture on %s's %s: %s", lab_plan_nodes[c->f.node].suffix,
			 c->f.name, c->why);
		return -EIO;
	}
	c->dump = pcap_dump_open(c->pcap, c->path);
	if (!c->dump) {
		snprintf(err, errlen, "cannot write %s: %s", c->path, pcap_geterr(c->pcap));
		return -EIO;
	}
	return 0;
}

static void capture_free(struct capture *c)
{
	if (c->dump)
		pcap_dump_close(c->dump);
	if (c->pcap)
		pcap_close(c->pcap);
	c->dump = NULL;
	c->pcap = NULL;
	c->fd = -1;
}

int lab_captures_open(struct lab_captures **out, const struct lab_plan *p,
		      const int ns_fds[LAB_NODE_COUNT], const char *dir, char *err,
		      size_t errlen)
{
	struct lab_capture_iface f[LAB_CAPTURE_MAX];
	struct lab_captures *cs;
	size_t i, n = lab_capture_ifaces(p, f, LAB_CAPTURE_MAX);
	int ret;

	*out = NULL;
	if (n > LAB_CAPTURE_MAX) {
		snprintf(err, errlen, "--pcap: %zu interfaces to capture, at most %d", n,
			 LAB_CAPTURE_MAX);
		return -E2BIG;
	}
	ret = lab_capture_dir_ready(dir, err, errlen);
	if (ret < 0)
		return ret;
	cs = calloc(1, sizeof(*cs));
	if (!cs) {
		snprintf(err, errlen, "--pcap: out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct capture *c = &cs->c[cs->n++];

		c->f = f[i];
		c->fd = -1;
		ret = capture_path(c->path, sizeof(c->path), dir, &f[i]);
		if (ret < 0) {
			snprintf(err, errlen, "--pcap %.200s: the file names get too long", dir);
			goto out_close;
		}
		ret = capture_open(c, ns_fds[f[i].node], err, errlen);
		if (ret < 0)
			goto out_close;
	}
	*out = cs;
	return 0;
out_close:
	for (i = 0; i < cs->n; i++)
		capture_free(&cs->c[i]);
	free(cs);
	return ret;
}

size_t lab_captures_pollfds(const struct lab_captures *c, struct pollfd *pfd, size_t max)
{
	size_t i, n = 0;

	for (i = 0; c && i < c->n && n < max; i++)
		if (c->c[i].fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = c->c[i].fd, .events = POLLIN };
	return n;
}

/* A capture stops for good: err and why say why, for close. */
static void capture_stop(struct capture *c, int err, const char *why)
{
	c->err = err;
	snprintf(c->why, sizeof(c->why), "%s", why);
	c->fd = -1;
}

/* Everything waiting in one capture; on an error (PCAP_ERROR: the
 * interface went away with its namespace; a full disk) it stops. */
static void capture_drain(struct capture *c)
{
	int n;

	if (c->fd < 0)
		return;
	/* -1: all that the buffer holds (pcap_dispatch(3PCAP)) */
	n = pcap_dispatch(c->pcap, -1, pcap_dump, (u_char *)c->dump);
	if (n > 0) {
		c->packets += (uint64_t)n;
		/* out of stdio's buffer at once: `tcpdump -r` of a lab left up
		 * sees every packet so far */
		if (pcap_dump_flush(c->dump) < 0)
			capture_stop(c, errno ? -errno : -EIO, strerror(errno ? errno : EIO));
		return;
	}
	if (n != 0 && n != PCAP_ERROR_BREAK)
		capture_stop(c, -EIO, pcap_geterr(c->pcap));
}

int lab_captures_pump(struct lab_captures *c)
{
	size_t i;
	int stopped = 0;

	for (i = 0; c && i < c->n; i++) {
		capture_drain(&c->c[i]);
		if (c->c[i].err)
			stopped++;
	}
	return stopped;
}

int lab_captures_close(struct lab_captures *c, struct lab_captures_stats *st, char *err,
		       size_t errlen)
{
	struct lab_captures_stats s = { 0 };
	size_t i;
	int ret = 0;

	if (!c)
		goto out;
	lab_captures_pump(c);
	for (i = 0; i < c->n; i++) {
		struct capture *k = &c->c[i];
		struct pcap_stat ps;

		if (k->pcap && pcap_stats(k->pcap, &ps) == 0)
			s.dropped += ps.ps_drop;
		/* the file is complete only once its stdio buffer is out */
		if (!k->err && k->dump && pcap_dump_flush(k->dump) < 0)
			capture_stop(k, errno ? -errno : -EIO, strerror(errno ? errno : EIO));
		if (k->err && !ret) {
			ret = k->err;
			snprintf(err, errlen, "capture %s: %s", k->path, k->why);
		}
		s.files++;
		s.packets += k->packets;
		capture_free(k);
	}
	free(c);
out:
	if (st)
		*st = s;
	return ret;
}
