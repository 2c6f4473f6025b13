// SPDX-License-Identifier: MIT
/* Huge-page-ready anonymous mappings (hugemap.h). */
#include <stdint.h>
#include <sys/mman.h>

#include "server/hugemap.h"

void *hugemap_alloc(size_t len)
{
	size_t lead;
	char *m;

	if (len == 0 || len % HUGEMAP_PAGE || len > SIZE_MAX - HUGEMAP_PAGE)
		return NULL;
	/* mmap(2) aligns to 4 KiB only: over-map by one huge page, trim */
	m = mmap(NULL, len + HUGEMAP_PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	lead = (HUGEMAP_PAGE - (uintptr_t)m % HUGEMAP_PAGE) % HUGEMAP_PAGE;
	if (lead)
		munmap(m, lead);
	munmap(m + lead + len, HUGEMAP_PAGE - lead);
	/* refused (THP "never", an old kernel): 4 KiB pages, as before */
	(void)madvise(m + lead, len, MADV_HUGEPAGE);
	return m + lead;
}

void hugemap_free(void *p, size_t len)
{
	if (p && len)
		munmap(p, len);
}
