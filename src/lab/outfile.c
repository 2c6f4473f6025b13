// SPDX-License-Identifier: MIT
/*
 * The file formats' files, each written into a temporary file and renamed
 * over its path when complete (outfile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"

/* mkostemp(3) makes the file 0600; a report is for everyone to read. */
static int outfile_open(struct lab_outfile *o, const char *path)
{
	mode_t mask;
	int fd, n;

	o->path = path;
	o->f = NULL;
	n = snprintf(o->tmp, sizeof(o->tmp), "%s.tmp.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(o->tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(o->tmp, O_CLOEXEC); /* not into the children the run starts */
	if (fd < 0)
		return -errno;
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) < 0 || !(o->f = fdopen(fd, "w"))) {
		int ret = -errno;

		close(fd);
		unlink(o->tmp);
		return ret;
	}
	return 0;
}

static int outfile_commit(struct lab_outfile *o)
{
	int ret = 0;

	errno = 0;
	if (fflush(o->f) != 0 || ferror(o->f))
		ret = -(errno ? errno : EIO);
	if (fclose(o->f) != 0 && !ret)
		ret = -errno;
	o->f = NULL;
	if (!ret && rename(o->tmp, o->path) < 0)
		ret = -errno;
	if (ret < 0)
		unlink(o->tmp);
	return ret;
}

static void outfile_abort(struct lab_outfile *o)
{
	if (!o->f)
		return;
	fclose(o->f);
	o->f = NULL;
	unlink(o->tmp);
}

int lab_outfiles_open(struct lab_outfiles *s, const char *const paths[LAB_FORMAT_COUNT],
		      char *err, size_t errlen)
{
	int fmt, ret;

	memset(s, 0, sizeof(*s));
	for (fmt = 0; fmt < LAB_FORMAT_COUNT; fmt++) {
		if (!paths[fmt])
			continue;
		ret = outfile_open(&s->of[fmt], paths[fmt]);
		if (ret < 0) {
			snprintf(err, errlen, "cannot write %s: %s", paths[fmt], strerror(-ret));
			lab_outfiles_abort(s);
			return ret;
		}
	}
	return 0;
}

FILE *lab_outfiles_stream(struct lab_outfiles *s, enum lab_format fmt)
{
	return s->of[fmt].f;
}

int lab_outfiles_commit(struct lab_outfiles *s, char *err, size_t errlen)
{
	int fmt, ret;

	for (fmt = 0; fmt < LAB_FORMAT_COUNT; fmt++) {
		if (!s->of[fmt].f)
			continue;
		ret = outfile_commit(&s->of[fmt]);
		if (ret < 0) {
			snprintf(err, errlen, "cannot write %s: %s", s->of[fmt].path,
				 strerror(-ret));
			lab_outfiles_abort(s);
			return ret;
		}
	}
	return 0;
}

void lab_outfiles_abort(struct lab_outfiles *s)
{
	for (int fmt = 0; fmt < LAB_FORMAT_COUNT; fmt++)
		outfile_abort(&s->of[fmt]);
}
