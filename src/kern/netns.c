// SPDX-License-Identifier: MIT
/*
 * Named network namespaces the way ip-netns(8) makes them: an empty file
 * /run/netns/NAME with the namespace's nsfs inode bind-mounted on it, so
 * the namespace outlives every process and `ip netns exec` can find it.
 * See unshare(2), setns(2), mount(2), mount_namespaces(7).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netns.h"

static int netns_check_name(const char *name)
{
	size_t len;

	if (!name)
		return -EINVAL;
	len = strlen(name);
	if (len == 0 || len >= LAB_NETNS_NAME_MAX)
		return -EINVAL;
	if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EINVAL;
	return 0;
}

static int netns_path(char *path, size_t cap, const char *name)
{
	int ret = netns_check_name(name);

	if (ret < 0)
		return ret;
	ret = snprintf(path, cap, "%s/%s", LAB_NETNS_DIR, name);
	if (ret < 0 || (size_t)ret >= cap)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * The directory must be a shared mount point: a namespace bind-mounted
 * into it then propagates to every mount namespace that shares it (for
 * instance one created later by `ip netns exec`), so it is found and can
 * be unmounted from anywhere. MS_SHARED fails with EINVAL on a directory
 * that is not a mount point, hence bind it onto itself first and retry.
 */
static int netns_prepare_dir(void)
{
	int ret = 0;

	if (mkdir(LAB_NETNS_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mount("", LAB_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
		goto out;
	if (errno != EINVAL) {
		ret = -errno;
		goto out;
	}
	if (mount(LAB_NETNS_DIR, LAB_NETNS_DIR, "none", MS_BIND | MS_REC, NULL) < 0) {
		ret = -errno;
		goto out;
	}
	if (mount("", LAB_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) < 0)
		ret = -errno;
out:
	return ret;
}

int lab_netns_enter(int fd)
{
	if (fd < 0)
		return -EBADF;
	if (setns(fd, CLONE_NEWNET) < 0)
		return -errno;
	return 0;
}

static int netns_write(int file, const char *value)
{
	size_t len = strlen(value), off = 0;
	ssize_t n;

	while (off < len) {
		n = write(file, value + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += (size_t)n;
	}
	return 0;
}

static int netns_check_sysctl_path(const char *path)
{
	const char *p;

	if (!path || !*path || path[0] == '/')
		return -EINVAL;
	for (p = path; *p; p++) {
		if (p[0] == '.' && p[1] == '.' && (p == path || p[-1] == '/'))
			return -EINVAL;
	}
	return 0;
}

/* While the thread is inside the new namespace: /proc/sys/net and new
 * sockets resolve against the thread's namespace (proc_sys_net, socket(2)). */
static int netns_inside(struct lab_netns_inside *in)
{
	char full[PATH_MAX];
	size_t i;
	int file, ret;

	in->ns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (in->ns_fd < 0)
		return -errno;
	for (i = 0; i < in->nsysctls; i++) {
		const struct lab_netns_sysctl *sc = &in->sysctls[i];

		if (netns_check_sysctl_path(sc->path) < 0 || !sc->value)
			return -EINVAL;
		if ((size_t)snprintf(full, sizeof(full), "/proc/sys/%s", sc->path) >= sizeof(full))
			return -ENAMETOOLONG;
		file = open(full, O_WRONLY | O_CLOEXEC);
		if (file < 0 && errno == ENOENT && sc->optional)
			continue;
		if (file < 0)
			return -errno;
		ret = netns_write(file, sc->value);
		close(file);
		if (ret < 0)
			return ret;
	}
	if (in->netlink_bus >= 0) {
		in->sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, in->netlink_bus);
		if (in->sock < 0)
			return -errno;
	}
	return 0;
}

int lab_netns_create_in(const char *name, struct lab_netns_inside *in)
{
	char path[PATH_MAX];
	int saved = -1, fd = -1, ret;
	int created = 0;

	if (in)
		in->ns_fd = in->sock = -1;
	ret = netns_path(path, sizeof(path), name);
	if (ret < 0)
		return ret;
	ret = netns_prepare_dir();
	if (ret < 0)
		return ret;

	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	created = 1;
	close(fd);
	fd = -1;

	saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (saved < 0) {
		ret = -errno;
		goto out;
	}
	/* unshare(CLONE_NEWNET) moves only the calling thread. */
	if (unshare(CLONE_NEWNET) < 0) {
		ret = -errno;
		goto out;
	}
	if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) < 0)
		ret = -errno;
	if (ret == 0 && in)
		ret = netns_inside(in);
	if (setns(saved, CLONE_NEWNET) < 0 && ret == 0)
		ret = -errno;
out:
	if (ret < 0 && created) {
		umount2(path, MNT_DETACH);
		unlink(path);
	}
	if (ret < 0 && in) {
		if (in->ns_fd >= 0)
			close(in->ns_fd);
		if (in->sock >= 0)
			close(in->sock);
		in->ns_fd = in->sock = -1;
	}
	if (saved >= 0)
		close(saved);
	return ret;
}

int lab_netns_create(const char *name)
{
	return lab_netns_create_in(name, NULL);
}

int lab_netns_open(const char *name)
{
	char path[PATH_MAX];
	int fd, ret;

	ret = netns_path(path, sizeof(path), name);
	if (ret < 0)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return fd;
}

int lab_netns_delete(const char *name)
{
	char path[PATH_MAX];
	int ret;

	ret = netns_path(path, sizeof(path), name);
	if (ret < 0)
		return ret;
	/* EINVAL: not mounted (a half-made namespace); still remove the file. */
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return -errno;
	if (unlink(path) < 0)
		return -errno;
	return 0;
}

int lab_netns_list(const char *prefix, char (*names)[LAB_NETNS_NAME_MAX], size_t max)
{
	size_t plen = prefix ? strlen(prefix) : 0;
	struct dirent *de;
	DIR *dir;
	int count = 0;

	dir = opendir(LAB_NETNS_DIR);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (plen && strncmp(de->d_name, prefix, plen) != 0)
			continue;
		if (strlen(de->d_name) >= LAB_NETNS_NAME_MAX)
			continue;
		if (names && (size_t)count < max)
			snprintf(names[count], LAB_NETNS_NAME_MAX, "%s", de->d_name);
		if (count < INT_MAX)
			count++;
	}
	closedir(dir);
	return count;
}

/*
 * /proc/sys/net resolves against the namespace of the thread doing the
 * lookup, so opening the file while inside fd is enough; the open file
 * keeps pointing at that namespace after we leave.
 */
static int netns_sysctl_open(int fd, const char *path, int flags)
{
	char full[PATH_MAX];
	int saved = -1, file = -1, ret;

	ret = netns_check_sysctl_path(path);
	if (ret < 0)
		return ret;
	ret = snprintf(full, sizeof(full), "/proc/sys/%s", path);
	if (ret < 0 || (size_t)ret >= sizeof(full))
		return -ENAMETOOLONG;
	if (fd >= 0) {
		saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (saved < 0)
			return -errno;
		if (setns(fd, CLONE_NEWNET) < 0) {
			ret = -errno;
			goto out;
		}
	}
	file = open(full, flags | O_CLOEXEC);
	ret = file < 0 ? -errno : file;
	if (saved >= 0 && setns(saved, CLONE_NEWNET) < 0) {
		/* Cannot happen short of a kernel bug; never hide it. */
		ret = -errno;
		if (file >= 0)
			close(file);
	}
out:
	if (saved >= 0)
		close(saved);
	return ret;
}

int lab_netns_sysctl(int fd, const char *path, const char *value)
{
	int file, ret;

	if (!value)
		return -EINVAL;
	file = netns_sysctl_open(fd, path, O_WRONLY);
	if (file < 0)
		return file;
	ret = netns_write(file, value);
	close(file);
	return ret;
}

int lab_netns_sysctl_get(int fd, const char *path, char *buf, size_t len)
{
	ssize_t n;
	int file, ret;

	if (!buf || len == 0)
		return -EINVAL;
	file = netns_sysctl_open(fd, path, O_RDONLY);
	if (file < 0)
		return file;
	do {
		n = read(file, buf, len - 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		ret = -errno;
		goto out;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	ret = (int)n;
out:
	close(file);
	return ret;
}

int lab_netns_socket(int ns_fd, int domain, int type, int proto)
{
	int saved = -1, fd = -1, ret = 0;

	if (ns_fd >= 0) {
		saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (saved < 0)
			return -errno;
		ret = lab_netns_enter(ns_fd);
		if (ret < 0)
			goto out;
	}
	fd = socket(domain, type | SOCK_CLOEXEC, proto);
	if (fd < 0)
		ret = -errno;
	if (saved >= 0 && lab_netns_enter(saved) < 0 && ret == 0)
		ret = -errno;
out:
	if (saved >= 0)
		close(saved);
	if (ret < 0) {
		if (fd >= 0)
			close(fd);
		return ret;
	}
	return fd;
}

int lab_netns_mnl_open(int ns_fd, int bus, struct mnl_socket **out)
{
	struct mnl_socket *sock;
	int fd;

	fd = lab_netns_socket(ns_fd, AF_NETLINK, SOCK_RAW, bus);
	if (fd < 0)
		return fd;
	sock = mnl_socket_fdopen(fd);
	if (!sock) {
		close(fd);
		return -errno ? -errno : -ENOMEM;
	}
	if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;

		mnl_socket_close(sock);
		return err;
	}
	*out = sock;
	return 0;
}

int lab_netns_mnl_talk(int ns_fd, int bus, void *buf, size_t cap, size_t len, uint32_t seq,
		       int (*cb)(const struct nlmsghdr *nlh, void *data), void *data)
{
	struct mnl_socket *sock = NULL;
	uint32_t portid;
	ssize_t n;
	int ret;

	ret = lab_netns_mnl_open(ns_fd, bus, &sock);
	if (ret < 0)
		return ret;
	portid = mnl_socket_get_portid(sock);
	if (mnl_socket_sendto(sock, buf, len) < 0) {
		ret = -errno;
		goto out;
	}
	for (;;) {
		n = mnl_socket_recvfrom(sock, buf, cap);
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
		if (ret < 0) {
			ret = -errno;
			goto out;
		}
		if (ret == MNL_CB_STOP) {
			ret = 0;
			goto out;
		}
	}
out:
	mnl_socket_close(sock);
	return ret;
}
