/* SPDX-License-Identifier: MIT */
#ifndef LAB_NFTLOAD_H
#define LAB_NFTLOAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Loading nft(8) rulesets into namespaces in this process, with
 * libnftables: no nft or iptables program runs. Each load is one
 * transaction (the whole text or nothing). The rulesets themselves come
 * from pure builders (nat.c, impair.c).
 *
 * Loads run on one thread of their own, started early, so the caller can
 * do its netlink work meanwhile. The caller waits for the loads
 * (lab_nft_wait) and joins the thread later (lab_nft_finish): closing a
 * context's socket right after its commit waits for nf_tables to free the
 * transaction, after an RCU grace period (about 13 ms per router, seen on a
 * 2-CPU virtual machine), so the thread does that after the loads are
 * reported done.
 */
#define LAB_NFT_MAX_LOADS 4
struct lab_nft_load {
	int ns_fd;        /* the namespace it goes into */
	const char *name; /* the namespace's, for the error */
	const char *text; /* nft(8) input */
	/* then, if queue_table is set, an NFQUEUE rule (nftqueue.h) appended
	 * to this chain of table ip queue_table (impair.h) */
	const char *queue_table, *queue_chain;
	uint16_t queue_num;
};
struct nft_ctx;
struct lab_nft_job {
	pthread_t thread;
	bool started;
	pthread_mutex_t lock; /* with started: guards loaded */
	pthread_cond_t cond;
	bool loaded;          /* every load committed or the first failed */
	struct nft_ctx *ctx[LAB_NFT_MAX_LOADS]; /* the thread's, freed by it */
	size_t n;
	struct lab_nft_load loads[LAB_NFT_MAX_LOADS]; /* texts: copies */
	int error;
	char err[256]; /* "<name>: <nft's own message>" on failure */
};
/* Starts loading loads[0 .. n-1] in order, each inside its namespace;
 * the texts are copied (the caller's need not outlive this call).
 * Whatever it returns, lab_nft_finish() must follow. */
int lab_nft_start(struct lab_nft_job *job, const struct lab_nft_load *loads, size_t n);
/* Waits for the loads, not for the thread; 0 if all succeeded, else the
 * first failure's -errno (the loads after it are not tried) and job->err
 * says why. */
int lab_nft_wait(struct lab_nft_job *job);
/* Waits for the thread too, and releases the job; the same result. A job
 * never started (zeroed) or already finished is left as it is. */
int lab_nft_finish(struct lab_nft_job *job);
/* One load, start and finish at once; err as job->err. */
int lab_nft_load(const struct lab_nft_load *load, char *err, size_t errlen);

#endif
