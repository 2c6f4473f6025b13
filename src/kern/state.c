// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"

#define STATE_SUFFIX ".state"
#define STATE_MAX 1024

bool lab_state_prefix_valid(const char *p)
{
	size_t n = strlen(p);

	if (n == 0 || n > LAB_STATE_PREFIX_MAX)
		return false;
	if (!((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z')))
		return false;
	for (size_t i = 1; i < n; i++) {
		char c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return false;
	}
	return true;
}

int lab_state_path(char *buf, size_t len, const char *prefix)
{
	if (!lab_state_prefix_valid(prefix))
		return -EINVAL;
	if ((size_t)snprintf(buf, len, "%s/%s%s", LAB_STATE_DIR, prefix, STATE_SUFFIX) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int lab_state_write(const struct lab_state *st)
{
	char path[128], tmp[160], text[512];
	int fd = -1, ret, n;

	ret = lab_state_path(path, sizeof(path), st->prefix);
	if (ret < 0)
		return ret;
	if (mkdir(LAB_STATE_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	n = snprintf(text, sizeof(text),
		     "prefix=%s\nkind=%s\npid=%d\nstarttime=%" PRIu64 "\nserver_pid=%d\n"
		     "server_starttime=%" PRIu64 "\ncapture_pid=%d\ncapture_starttime=%" PRIu64 "\n",
		     st->prefix, st->kind == LAB_STATE_UP ? "up" : "run", (int)st->pid,
		     st->starttime, (int)st->server_pid, st->server_starttime,
		     (int)st->capture_pid, st->capture_starttime);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, text, (size_t)n) != n) {
		ret = errno ? -errno : -EIO;
		goto out;
	}
	if (rename(tmp, path) < 0)
		ret = -errno;
out:
	close(fd);
	if (ret < 0)
		unlink(tmp);
	return ret;
}

static int parse_u64(const char *v, size_t n, uint64_t *out)
{
	uint64_t acc = 0;
	size_t i;

	if (n == 0 || n > 19)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -EINVAL;
		acc = acc * 10 + (uint64_t)(v[i] - '0');
	}
	*out = acc;
	return 0;
}

int lab_state_parse(struct lab_state *st, const uint8_t *buf, size_t len)
{
	const char *p = (const char *)buf, *end = p + len;
	bool have_prefix = false, have_pid = false;
	uint64_t v;

	memset(st, 0, sizeof(*st));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eq, *val;
		size_t klen, vlen;

		if (!nl)
			return -EINVAL;
		eq = memchr(p, '=', (size_t)(nl - p));
		if (!eq)
			return -EINVAL;
		klen = (size_t)(eq - p);
		val = eq + 1;
		vlen = (size_t)(nl - val);
#define KEY(k) (klen == strlen(k) && !memcmp(p, k, klen))
		if (KEY("prefix")) {
			if (vlen >= sizeof(st->prefix))
				return -EINVAL;
			memcpy(st->prefix, val, vlen);
			st->prefix[vlen] = '\0';
			if (!lab_state_prefix_valid(st->prefix))
				return -EINVAL;
			have_prefix = true;
		} else if (KEY("kind")) {
			if (vlen == 2 && !memcmp(val, "up", 2))
				st->kind = LAB_STATE_UP;
			else if (vlen == 3 && !memcmp(val, "run", 3))
				st->kind = LAB_STATE_RUN;
			else
				return -EINVAL;
		} else if (KEY("pid") || KEY("server_pid") || KEY("capture_pid")) {
			if (parse_u64(val, vlen, &v) < 0 || v > 0x7fffffff)
				return -EINVAL;
			if (KEY("pid")) {
				st->pid = (pid_t)v;
				have_pid = true;
			} else if (KEY("server_pid")) {
				st->server_pid = (pid_t)v;
			} else {
				st->capture_pid = (pid_t)v;
			}
		} else if (KEY("starttime") || KEY("server_starttime") || KEY("capture_starttime")) {
			if (parse_u64(val, vlen, &v) < 0)
				return -EINVAL;
			if (KEY("starttime"))
				st->starttime = v;
			else if (KEY("server_starttime"))
				st->server_starttime = v;
			else
				st->capture_starttime = v;
		}
		/* unknown keys: written by a newer runner; ignore */
#undef KEY
		p = nl + 1;
	}
	return have_prefix && have_pid ? 0 : -EINVAL;
}

int lab_state_read(const char *prefix, struct lab_state *st)
{
	char path[128], buf[STATE_MAX];
	ssize_t n;
	int fd, ret;

	ret = lab_state_path(path, sizeof(path), prefix);
	if (ret < 0)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	ret = n < 0 ? -errno : lab_state_parse(st, (const uint8_t *)buf, (size_t)n);
	close(fd);
	if (ret == 0 && strcmp(st->prefix, prefix))
		ret = -EINVAL;
	return ret;
}

int lab_state_remove(const char *prefix)
{
	char path[128];
	int ret = lab_state_path(path, sizeof(path), prefix);

	if (ret < 0)
		return ret;
	return unlink(path) < 0 ? -errno : 0;
}

uint64_t lab_state_starttime(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	ssize_t n;
	int fd, field;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: fields restart after the last ')' */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	for (field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &v) != 1)
		return 0;
	return (uint64_t)v;
}

bool lab_state_alive(pid_t pid, uint64_t starttime)
{
	uint64_t now = lab_state_starttime(pid);

	return now != 0 && now == starttime;
}

int lab_state_foreach(int (*fn)(void *ctx, const char *prefix), void *ctx)
{
	struct dirent *de;
	DIR *dir = opendir(LAB_STATE_DIR);
	int ret = 0, r;

	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dir)) != NULL) {
		size_t n = strlen(de->d_name), sl = strlen(STATE_SUFFIX);
		char prefix[64];

		if (n <= sl || n - sl >= sizeof(prefix) || strcmp(de->d_name + n - sl, STATE_SUFFIX))
			continue;
		memcpy(prefix, de->d_name, n - sl);
		prefix[n - sl] = '\0';
		if (!lab_state_prefix_valid(prefix))
			continue;
		r = fn(ctx, prefix);
		if (r < 0 && ret == 0)
			ret = r;
	}
	closedir(dir);
	return ret;
}
