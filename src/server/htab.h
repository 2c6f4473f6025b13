/* SPDX-License-Identifier: MIT */
#ifndef HP_SERVER_HTAB_H
#define HP_SERVER_HTAB_H

/*
 * A chained hash table of intrusive nodes that grows and shrinks with
 * its contents, a little at a time: a grow allocates the new bucket
 * array (big ones mapped: no zeroing pass) and every later insert
 * or remove moves a few old buckets into it (HTAB_STEP), so no single
 * call walks the table. A big table shrinks in place, merging a few
 * bucket pairs per call. While a resize is under way a key lives in its
 * old bucket until that bucket has been moved, then in its new one;
 * htab_chain() knows which.
 *
 * Mechanism only: the caller hashes its keys (a keyed hash: the keys come
 * from the network) and compares them while walking a chain. A node keeps
 * the hash it was linked under: a moved bucket needs no rehash (no key to
 * read, no hash to compute), a remove needs none, and a chain walk skips
 * a node whose hash differs without reading its key. Called by rooms.c;
 * calls hugemap.c (its big arrays) only.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct htab_node {
	struct htab_node *next;
	uint64_t hv; /* the hash it was linked under; the caller's to read */
};

struct htab {
	struct htab_node **cur;
	size_t n_cur;            /* power of two */
	struct htab_node **old;  /* being moved into cur; NULL = no resize */
	size_t n_old;
	size_t moved;            /* old[0..moved) are empty already; shrinking:
				    cur[n_cur/2 ..+moved) are merged down */
	size_t released;         /* old[0..released) are unmapped (htab.c);
				    shrinking: cur[n_cur/2 ..+released) */
	bool cur_huge, old_huge; /* on huge pages: given back 2 MiB at a time */
	bool shrinking;          /* cur halving in place (no old array) */
	size_t count;
	size_t min_buckets;
};

/* min_buckets: a power of two, the size it never shrinks below. */
int htab_init(struct htab *h, size_t min_buckets);
/* Frees the bucket arrays, not the nodes (they are the caller's). */
void htab_fini(struct htab *h);

/* The chain holding (or that will hold) a key of hash hv. */
struct htab_node **htab_chain(const struct htab *h, uint64_t hv);
/* Links n (hash hv) in. Never fails: when a bigger bucket array cannot
 * be had the table stays as it is, only more loaded. */
void htab_insert(struct htab *h, struct htab_node *n, uint64_t hv);
/* Unlinks n, which must be in the table. */
void htab_remove(struct htab *h, struct htab_node *n);
/* Bytes of bucket arrays held. */
size_t htab_bytes(const struct htab *h);

#endif
