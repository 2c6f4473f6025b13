// SPDX-License-Identifier: MIT
/*
 * libnftables(3) in-process. A netlink socket belongs to the network
 * namespace of the thread that opens it (netlink(7), setns(2)), and
 * nft_ctx_new() opens the context's socket, so the loader thread enters
 * the router's namespace first, then makes the context and runs the text;
 * the next router gets a context of its own. The contexts are freed once
 * every load is reported (nftload.h says why).
 * setns(2) of a network namespace moves the calling thread only, which
 * is why it is allowed in a multi-threaded process.
 *
 * One thread does every load, one after another: libnftables keeps
 * process-wide state (its xtables compatibility and symbol tables are set
 * up in nft_ctx_new and torn down in nft_ctx_free) that nothing says is
 * safe to touch from two threads at once. For the same reason a second
 * job's thread waits for the first one's to be done with it (nft_use).
 */
#include <errno.h>
#include <malloc.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netns.h"
#include "nftqueue.h"
#include "nftload.h"

static pthread_mutex_t nft_use = PTHREAD_MUTEX_INITIALIZER;

/* nft's complaint, its first line ("Error: ..."), after the name. */
static void say_error(char *err, size_t errlen, const char *name, const char *msg)
{
	if (!msg || !*msg)
		msg = "the ruleset was refused";
	snprintf(err, errlen, "%s: %.*s", name, (int)strcspn(msg, "\n"), msg);
}

/* One load on the calling thread, which it leaves in load->ns_fd; the
 * context, made there, goes to *ctxp for the caller to free. */
static int load_here(const struct lab_nft_load *load, struct nft_ctx **ctxp, char *err,
		     size_t errlen)
{
	struct nft_ctx *ctx;
	int ret;

	ret = lab_netns_enter(load->ns_fd);
	if (ret < 0) {
		snprintf(err, errlen, "%s: cannot enter the namespace: %s", load->name,
			 strerror(-ret));
		return ret;
	}
	ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx) {
		snprintf(err, errlen, "%s: cannot make an nftables context", load->name);
		return -ENOMEM;
	}
	*ctxp = ctx;
	/* both buffered: nothing of libnftables reaches our stdout/stderr */
	if (nft_ctx_buffer_output(ctx) < 0 || nft_ctx_buffer_error(ctx) < 0) {
		snprintf(err, errlen, "%s: cannot buffer nft's output", load->name);
		return -ENOMEM;
	}
	if (nft_run_cmd_from_buffer(ctx, load->text) != 0) {
		say_error(err, errlen, load->name, nft_ctx_get_error_buffer(ctx));
		return -EIO;
	}
	if (!load->queue_table)
		return 0;
	ret = lab_nftq_append(load->ns_fd, load->queue_table, load->queue_chain, load->queue_num);
	if (ret < 0)
		snprintf(err, errlen, "%s: cannot add the NFQUEUE rule to %s: %s", load->name,
			 load->queue_table, strerror(-ret));
	return ret;
}

static void *run_loads(void *arg)
{
	struct lab_nft_job *job = arg;
	int error = 0;
	size_t i;

	pthread_mutex_lock(&nft_use);
	for (i = 0; i < job->n && !error; i++)
		error = load_here(&job->loads[i], &job->ctx[i], job->err, sizeof(job->err));
	pthread_mutex_lock(&job->lock);
	job->error = error;
	job->loaded = true;
	pthread_cond_signal(&job->cond);
	pthread_mutex_unlock(&job->lock);
	for (i = 0; i < LAB_NFT_MAX_LOADS; i++) {
		if (job->ctx[i])
			nft_ctx_free(job->ctx[i]);
		job->ctx[i] = NULL;
	}
	pthread_mutex_unlock(&nft_use);
	return NULL;
}

static void free_texts(struct lab_nft_job *job)
{
	size_t i;

	for (i = 0; i < job->n; i++) {
		free((char *)job->loads[i].text);
		job->loads[i].text = NULL;
	}
	job->n = 0;
}

/*
 * A context costs little once its memory is there (about 0.3 ms) and
 * several milliseconds before, mostly page faults (expensive on a virtual
 * machine): each nft cache is a hash of 8192 list heads, 128 KiB, one for
 * the context and four for every table of the text, right at glibc's
 * default mmap threshold (mallopt(3), M_MMAP_THRESHOLD: 128 KiB), so each
 * comes from mmap and goes back to the kernel on free, and the next
 * router's context faults it all in again. Above the threshold and with
 * trimming of the heap's top moved out of the way (M_TRIM_THRESHOLD),
 * a freed cache stays in this process and the next context reuses its
 * pages. Set once, from the calling thread, before the loader exists.
 */
static void keep_freed_memory(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

int lab_nft_start(struct lab_nft_job *job, const struct lab_nft_load *loads, size_t n)
{
	size_t i;
	int ret = 0;

	keep_freed_memory();

	memset(job, 0, sizeof(*job));
	if (n > LAB_NFT_MAX_LOADS) {
		snprintf(job->err, sizeof(job->err), "%zu rulesets: at most %d", n,
			 LAB_NFT_MAX_LOADS);
		ret = -E2BIG;
		goto out;
	}
	for (i = 0; i < n; i++) {
		job->loads[i] = loads[i];
		job->loads[i].text = strdup(loads[i].text);
		if (!job->loads[i].text) {
			snprintf(job->err, sizeof(job->err), "%s", strerror(ENOMEM));
			ret = -ENOMEM;
			goto out;
		}
		job->n++;
	}
	pthread_mutex_init(&job->lock, NULL);
	pthread_cond_init(&job->cond, NULL);
	/* from here job->error is the thread's to write */
	ret = -pthread_create(&job->thread, NULL, run_loads, job);
	if (ret == 0) {
		job->started = true;
		return 0;
	}
	snprintf(job->err, sizeof(job->err), "cannot start a thread: %s", strerror(-ret));
	pthread_cond_destroy(&job->cond);
	pthread_mutex_destroy(&job->lock);
out:
	free_texts(job);
	job->error = ret;
	return ret;
}

int lab_nft_wait(struct lab_nft_job *job)
{
	int ret;

	if (!job->started)
		return job->error;
	pthread_mutex_lock(&job->lock);
	while (!job->loaded)
		pthread_cond_wait(&job->cond, &job->lock);
	ret = job->error;
	pthread_mutex_unlock(&job->lock);
	return ret;
}

int lab_nft_finish(struct lab_nft_job *job)
{
	if (job->started) {
		pthread_join(job->thread, NULL);
		pthread_cond_destroy(&job->cond);
		pthread_mutex_destroy(&job->lock);
	}
	job->started = false;
	free_texts(job);
	return job->error;
}

int lab_nft_load(const struct lab_nft_load *load, char *err, size_t errlen)
{
	struct lab_nft_job job;
	int ret;

	lab_nft_start(&job, load, 1);
	ret = lab_nft_finish(&job);
	if (ret < 0)
		snprintf(err, errlen, "%s", job.err);
	return ret;
}
