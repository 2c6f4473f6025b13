/* SPDX-License-Identifier: MIT */
#ifndef HP_SERVER_ARENA_H
#define HP_SERVER_ARENA_H

/*
 * The memory of rooms and registrations: small objects of a few sizes,
 * made and freed one at a time, a million of them. A size-class
 * allocator: a free list per multiple of ARENA_ALIGN, fed from big
 * mapped segments backed by transparent huge pages (madvise(2)
 * MADV_HUGEPAGE): one page fault and one TLB entry per 2 MiB instead of
 * 512 of each; lookups and expiries, cache misses mostly, then skip the
 * page-table walk (docs/hpserver.md, "Scale": about twice as fast).
 * The caller gives the size back when freeing (rooms.c knows it), so an
 * object carries no header: a one-peer room costs 16 bytes less than
 * from malloc(3).
 *
 * Freed memory stays in the arena for the next object of its size (as
 * malloc's mostly does), segments go back at arena_fini only.
 * Calls hugemap.c and madvise(2) only; called by rooms.c.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARENA_ALIGN 8u
#define ARENA_MAX   512u /* the largest object; a registration is < 300 */
#define ARENA_CLASSES (ARENA_MAX / ARENA_ALIGN)

struct arena_seg;

struct arena {
	void *free[ARENA_CLASSES];        /* per size class: freed objects */
	char *run[ARENA_CLASSES], *run_end[ARENA_CLASSES]; /* its bump run */
	struct arena_seg *seg;            /* newest segment; older ones chained */
	char *top, *end;                  /* runs are cut from seg at top */
	char *ready;                      /* [seg, ready) is populated */
	size_t mapped;                    /* bytes of segments */
};

void arena_init(struct arena *a);
/* Unmaps every segment: every object goes with it. */
void arena_fini(struct arena *a);
/* size bytes (1..ARENA_MAX), zeroed, ARENA_ALIGN-aligned; NULL when
 * no memory can be had. */
void *arena_alloc(struct arena *a, size_t size);
/* p, from arena_alloc(a, size) with this size. */
void arena_free(struct arena *a, void *p, size_t size);
/*
 * Populates the next piece of the current segment ahead of need
 * (MADV_POPULATE_WRITE), so the page faults of growth are taken when
 * the caller chooses (the loop: before it sleeps) and not in the middle
 * of a batch. Does at most one 2 MiB piece; returns true if it did one
 * (more may be wanted: call again later).
 */
bool arena_prefault(struct arena *a);
/* Bytes of segments mapped (not all of them touched). */
size_t arena_mapped(const struct arena *a);

#endif
