/* SPDX-License-Identifier: MIT */
#ifndef HP_SERVER_HUGEMAP_H
#define HP_SERVER_HUGEMAP_H

/*
 * Anonymous mappings that transparent huge pages can back: aligned to
 * HUGEMAP_PAGE and marked MADV_HUGEPAGE (madvise(2)), which is what THP's
 * "madvise" mode waits for. The kernel maps a huge page only for an
 * aligned 2 MiB range inside such an area
 * (Documentation/admin-guide/mm/transhuge.rst). One fault and one TLB
 * entry per 2 MiB instead of 512: the memory of a million rooms.
 * Calls mmap(2)/madvise(2) only; called by arena.c and htab.c.
 */

#include <stddef.h>

#define HUGEMAP_PAGE (2u << 20) /* a PMD-sized page on x86-64 */

/* len bytes (a multiple of HUGEMAP_PAGE), zero, HUGEMAP_PAGE-aligned,
 * nothing touched yet; NULL when the address space cannot be had. A
 * kernel without THP gives ordinary pages: it still works. */
void *hugemap_alloc(size_t len);
/* munmap(2) of all or part of it, in whole huge pages (a part of a huge
 * page would split it and keep its memory until the split is done). */
void hugemap_free(void *p, size_t len);

#endif
