// SPDX-License-Identifier: MIT
/*
 * Size-class arena on huge-page segments (arena.h).
 *
 * A segment is ARENA_SEG bytes of address space from hugemap.c, so that
 * each 2 MiB of it can be one transparent huge page. Each size class cuts
 * objects from its own run of ARENA_RUN bytes, and runs are cut from the
 * segment in turn, so the classes share huge pages and a server with a
 * handful of rooms touches one 2 MiB page, not one per class.
 *
 * Under AddressSanitizer free objects and uncut runs are poisoned
 * (sanitizer/asan_interface.h): a use after free of a room is reported
 * until its memory is handed out again, as with malloc's quarantine.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "server/arena.h"
#include "server/hugemap.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define ARENA_POISON(p, n)   ASAN_POISON_MEMORY_REGION(p, n)
#define ARENA_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define ARENA_POISON(p, n)   ((void)(p), (void)(n))
#define ARENA_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define ARENA_HUGE  HUGEMAP_PAGE
#define ARENA_SEG   (64u << 20)  /* address space only until touched */
#define ARENA_RUN   (64u << 10)  /* a class takes this much at a time */
/* Populated ahead of the runs: two huge pages, some 15 000 one-peer
 * rooms, so a burst of new rooms finds its memory there. */
#define ARENA_AHEAD (2 * ARENA_HUGE)

struct arena_seg {
	struct arena_seg *older;
};

_Static_assert(ARENA_MAX % ARENA_ALIGN == 0, "classes tile 1..ARENA_MAX");
_Static_assert(ARENA_SEG % ARENA_HUGE == 0 && ARENA_HUGE % ARENA_RUN == 0, "runs tile pages");

void arena_init(struct arena *a)
{
	memset(a, 0, sizeof(*a));
}

void arena_fini(struct arena *a)
{
	struct arena_seg *s = a->seg, *older;

	for (; s; s = older) {
		older = s->older;
		/* the shadow would outlive the mapping and poison whatever
		 * is mapped there next */
		ARENA_UNPOISON(s, ARENA_SEG);
		hugemap_free(s, ARENA_SEG);
	}
	arena_init(a);
}

/* A new segment to cut runs from; the old one's tail (less than a run)
 * is left unused. */
static int arena_new_seg(struct arena *a)
{
	struct arena_seg *s = hugemap_alloc(ARENA_SEG);

	if (!s)
		return -ENOMEM;
	ARENA_POISON(s, ARENA_SEG);
	ARENA_UNPOISON(s, sizeof(*s));
	s->older = a->seg;
	a->seg = s;
	a->top = (char *)s + sizeof(*s);
	a->end = (char *)s + ARENA_SEG;
	a->ready = (char *)s;
	a->mapped += ARENA_SEG;
	return 0;
}

static int arena_new_run(struct arena *a, size_t c)
{
	if (!a->seg || (size_t)(a->end - a->top) < ARENA_RUN) {
		int ret = arena_new_seg(a);

		if (ret < 0)
			return ret;
	}
	a->run[c] = a->top;
	a->run_end[c] = a->top + ARENA_RUN;
	a->top += ARENA_RUN;
	return 0;
}

void *arena_alloc(struct arena *a, size_t size)
{
	size_t c, len;
	char *p;

	if (size == 0 || size > ARENA_MAX)
		return NULL;
	c = (size - 1) / ARENA_ALIGN;
	len = (c + 1) * ARENA_ALIGN;
	p = a->free[c];
	if (p) {
		ARENA_UNPOISON(p, len);
		memcpy(&a->free[c], p, sizeof(void *));
		memset(p, 0, len);
		return p;
	}
	if ((!a->run[c] || (size_t)(a->run_end[c] - a->run[c]) < len) && arena_new_run(a, c) < 0)
		return NULL;
	p = a->run[c];
	a->run[c] += len;
	ARENA_UNPOISON(p, len);
	return p; /* never handed out before: still the mapping's zeroes */
}

void arena_free(struct arena *a, void *p, size_t size)
{
	size_t c;

	if (!p || size == 0 || size > ARENA_MAX)
		return;
	c = (size - 1) / ARENA_ALIGN;
	memcpy(p, &a->free[c], sizeof(void *));
	a->free[c] = p;
	ARENA_POISON(p, (c + 1) * ARENA_ALIGN);
}

bool arena_prefault(struct arena *a)
{
	size_t len;

	/* a small server stays small: nothing ahead before it holds a huge
	 * page's worth (some 7 000 rooms) */
	if (!a->seg || (a->mapped == ARENA_SEG && (size_t)(a->top - (char *)a->seg) < ARENA_HUGE))
		return false;
	if (a->ready < a->top) /* touched already: that huge page is in */
		a->ready = (char *)a->seg +
			   ((size_t)(a->top - (char *)a->seg) + ARENA_HUGE - 1) / ARENA_HUGE * ARENA_HUGE;
	if (a->ready >= a->end || (size_t)(a->ready - a->top) >= ARENA_AHEAD)
		return false;
	len = (size_t)(a->end - a->ready) < ARENA_HUGE ? (size_t)(a->end - a->ready) : ARENA_HUGE;
#ifdef MADV_POPULATE_WRITE
	/* madvise(2): faults the range in, writable, as a touch would, in
	 * one call (Linux 5.14). Under ASan the poisoned bytes are not
	 * touched by it: the kernel writes no user memory. */
	if (madvise(a->ready, len, MADV_POPULATE_WRITE) == 0) {
		a->ready += len;
		return true;
	}
#endif
	/* not supported here, or no memory now: growth faults as it goes */
	a->ready = a->end;
	return false;
}

size_t arena_mapped(const struct arena *a)
{
	return a->mapped;
}
