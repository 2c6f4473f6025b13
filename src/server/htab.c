// SPDX-License-Identifier: MIT
/*
 * Incrementally resized chained hash table (htab.h).
 *
 * Sizing: it grows to twice its buckets when it holds more nodes than
 * buckets and halves when it holds fewer than a quarter. HTAB_STEP
 * buckets move per insert or remove, which finishes any resize before
 * the next one can be due: a shrink from n buckets starts at n/4 nodes and
 * the next is due below n/8 (a quarter of the new n/2): n/8 removes to
 * merge n/2 bucket pairs, 4 a call; the next grow is n/4 inserts away (2 a
 * call); after a grow from n it takes n more inserts (1 a call). A resize
 * that comes due while one is under way waits for it, so the table is only
 * briefly more loaded.
 *
 * A grow moves the buckets into a new array, twice as big. A shrink of a
 * mapped array happens in place: with n a power of two, a key's bucket
 * among n/2 is its bucket among n with the top bit cleared, so bucket
 * i + n/2 is spliced onto bucket i, no key rehashed, and the top half is
 * unmapped as it empties. A shrink needs no new memory, so rooms that
 * expire cause no page faults. Copying into a fresh half-size array would
 * fault once every 512 buckets (docs/hpserver.md, "Scale").
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "server/htab.h"
#include "server/hugemap.h"

#define HTAB_STEP 8
/* From this size a bucket array is mapped on its own (mmap(2)): its zero
 * pages come on first touch, spread over the moves, where calloc(3) from
 * the heap may clear the whole array at once (8 MiB at a million rooms:
 * milliseconds), and unmapping it gives the memory back. */
#define HTAB_MAP_BYTES (64u * 1024)
/* From this size (256 Ki buckets, some 200 000 rooms) a grown array is
 * hugemap.c's: its buckets are hit at random, one per new key, so with
 * 4 KiB pages nearly every insert into a fresh array faulted, and every
 * lookup missed the TLB; a huge page is one fault per 2 MiB. A shrink
 * allocates nothing (in place, above); the array a small table shrinks
 * into comes from the heap. */
#define HTAB_HUGE_BYTES HUGEMAP_PAGE

/* huge: a hugemap.c array (a grown one of at least HTAB_HUGE_BYTES) */
static struct htab_node **htab_alloc(size_t n, bool huge)
{
	void *p;

	if (n > SIZE_MAX / sizeof(struct htab_node *))
		return NULL;
	if (n * sizeof(struct htab_node *) < HTAB_MAP_BYTES)
		return calloc(n, sizeof(struct htab_node *));
	if (huge)
		return hugemap_alloc(n * sizeof(struct htab_node *));
	p = mmap(NULL, n * sizeof(struct htab_node *), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* b[0..from) are already unmapped (htab_release). */
static void htab_free(struct htab_node **b, size_t n, size_t from)
{
	if (!b)
		return;
	if (n * sizeof(*b) < HTAB_MAP_BYTES)
		free(b);
	else if (from < n)
		munmap(b + from, (n - from) * sizeof(*b));
}

/* A mapped old array goes back a piece at a time as its buckets are
 * moved: unmapping 8 MiB of touched 4 KiB pages at once can take
 * milliseconds, 64 KiB is 16 pages. A huge-page array goes a whole huge
 * page at a time (hugemap_free). (Mapped arrays are powers of two of at
 * least the piece, so the pieces tile them.) */
static void htab_release(struct htab *h)
{
	size_t bytes = h->n_old * sizeof(*h->old);
	size_t piece = h->old_huge ? HTAB_HUGE_BYTES : HTAB_MAP_BYTES;
	size_t chunk = piece / sizeof(*h->old);

	if (bytes < HTAB_MAP_BYTES || h->moved - h->released < chunk)
		return;
	munmap(h->old + h->released, piece);
	h->released += chunk;
}

int htab_init(struct htab *h, size_t min_buckets)
{
	*h = (struct htab){ .min_buckets = min_buckets };
	if (!min_buckets || (min_buckets & (min_buckets - 1)))
		return -EINVAL;
	h->cur = htab_alloc(min_buckets, false);
	if (!h->cur)
		return -ENOMEM;
	h->n_cur = min_buckets;
	return 0;
}

void htab_fini(struct htab *h)
{
	if (h->shrinking) /* its top half is unmapped from the bottom up */
		munmap(h->cur + h->n_cur / 2 + h->released,
		       (h->n_cur / 2 - h->released) * sizeof(*h->cur));
	htab_free(h->cur, h->shrinking ? h->n_cur / 2 : h->n_cur, 0);
	h->shrinking = false;
	htab_free(h->old, h->n_old, h->released);
	h->cur = h->old = NULL;
	h->n_cur = h->n_old = h->count = 0;
}

struct htab_node **htab_chain(const struct htab *h, uint64_t hv)
{
	if (h->shrinking) {
		size_t half = h->n_cur / 2, i = (size_t)(hv & (h->n_cur - 1));

		if (i >= half && i - half < h->moved)
			i -= half;
		return &h->cur[i];
	}
	if (h->old) {
		size_t i = (size_t)(hv & (h->n_old - 1));

		if (i >= h->moved)
			return &h->old[i];
	}
	return &h->cur[hv & (h->n_cur - 1)];
}

/* Splices up to HTAB_STEP top-half buckets onto their partners; unmaps
 * the top half a piece at a time as it empties, and ends the shrink. */
static void htab_merge_step(struct htab *h)
{
	size_t half = h->n_cur / 2, piece = h->cur_huge ? HTAB_HUGE_BYTES : HTAB_MAP_BYTES;
	size_t chunk = piece / sizeof(*h->cur);
	int k;

	for (k = 0; h->shrinking && k < HTAB_STEP; k++) {
		struct htab_node **hi = &h->cur[half + h->moved], *tail = *hi;

		if (tail) {
			while (tail->next)
				tail = tail->next;
			tail->next = h->cur[h->moved];
			h->cur[h->moved] = *hi;
			*hi = NULL;
		}
		h->moved++;
		/* a huge page is given back whole: a top half smaller than one
		 * goes at the end */
		if (half >= chunk && h->moved - h->released >= chunk) {
			munmap(h->cur + half + h->released, piece);
			h->released += chunk;
		}
		if (h->moved < half)
			continue;
		if (h->released < half)
			munmap(h->cur + half + h->released, (half - h->released) * sizeof(*h->cur));
		h->n_cur = half;
		h->shrinking = false;
		h->moved = h->released = 0;
	}
}

/*
 * Moves up to HTAB_STEP old buckets into cur; frees old once empty. In a
 * grow old bucket i goes to cur[i] or cur[i + n_old] (the hash's next
 * bit), in the shrink of a small array to cur[i % n_cur]: both arrays are
 * walked in order; what misses the cache is the nodes, at random in the
 * arena. The heads of the next HTAB_STEP buckets are fetched ahead
 * (__builtin_prefetch, GCC's manual), to be there for the next call
 * instead of being waited for one after another.
 */
static void htab_step(struct htab *h)
{
	size_t ahead;
	int k;

	if (h->shrinking) {
		htab_merge_step(h);
		return;
	}
	if (!h->old)
		return;
	for (ahead = h->moved + HTAB_STEP; ahead < h->moved + 2 * HTAB_STEP && ahead < h->n_old;
	     ahead++)
		if (h->old[ahead])
			__builtin_prefetch(h->old[ahead]);
	for (k = 0; h->old && k < HTAB_STEP; k++) {
		struct htab_node *n = h->old[h->moved];

		while (n) {
			struct htab_node *next = n->next;
			struct htab_node **head = &h->cur[n->hv & (h->n_cur - 1)];

			n->next = *head;
			*head = n;
			n = next;
		}
		h->old[h->moved] = NULL;
		h->moved++;
		htab_release(h);
		if (h->moved == h->n_old) {
			htab_free(h->old, h->n_old, h->released);
			h->old = NULL;
			h->n_old = h->moved = h->released = 0;
		}
	}
}

/* Starts a resize to n buckets; on no memory, stays as it is. */
static void htab_resize(struct htab *h, size_t n)
{
	bool huge = n > h->n_cur && n * sizeof(*h->cur) >= HTAB_HUGE_BYTES;
	struct htab_node **b = htab_alloc(n, huge);

	if (!b)
		return;
	h->old = h->cur;
	h->n_old = h->n_cur;
	h->old_huge = h->cur_huge;
	h->moved = h->released = 0;
	h->cur = b;
	h->n_cur = n;
	h->cur_huge = huge;
}

/* A mapped array that stays mapped at half its size shrinks in place. */
static void htab_shrink(struct htab *h)
{
	if (h->n_cur / 2 * sizeof(*h->cur) < HTAB_MAP_BYTES) {
		htab_resize(h, h->n_cur / 2);
		return;
	}
	h->shrinking = true;
	h->moved = h->released = 0;
}

static void htab_balance(struct htab *h)
{
	htab_step(h);
	if (h->old || h->shrinking)
		return;
	if (h->count > h->n_cur && h->n_cur <= SIZE_MAX / 2 / sizeof(*h->cur))
		htab_resize(h, h->n_cur * 2);
	else if (h->n_cur > h->min_buckets && h->count < h->n_cur / 4)
		htab_shrink(h);
}

void htab_insert(struct htab *h, struct htab_node *n, uint64_t hv)
{
	struct htab_node **head = htab_chain(h, hv);

	n->hv = hv;
	n->next = *head;
	*head = n;
	h->count++;
	htab_balance(h);
}

void htab_remove(struct htab *h, struct htab_node *n)
{
	struct htab_node **link = htab_chain(h, n->hv);

	while (*link && *link != n)
		link = &(*link)->next;
	if (!*link)
		return;
	*link = n->next;
	n->next = NULL;
	h->count--;
	htab_balance(h);
}

size_t htab_bytes(const struct htab *h)
{
	if (h->shrinking)
		return (h->n_cur - h->released) * sizeof(*h->cur);
	return (h->n_cur + (h->old ? h->n_old - h->released : 0)) * sizeof(*h->cur);
}
