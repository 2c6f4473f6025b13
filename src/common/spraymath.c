// SPDX-License-Identifier: MIT
/*
 * spraymath.c: the birthday spray's chances (spray_defaults.h), for
 * hpclient's report and the lab's theory alike. Pure; no libm.
 */
#include "spray_defaults.h"

/* C(M-K, N) / C(M, N) = prod_{i<N} (M-K-i) / (M-i): the chance that N
 * distinct ports drawn from M all miss the K open ones. */
double hp_spray_p_easy_hard(unsigned ports, unsigned probes, unsigned range)
{
	double miss = 1.0;
	unsigned i;

	if (!ports || !probes || !range)
		return 0.0;
	if (ports >= range || probes > range - ports)
		return 1.0;
	for (i = 0; i < probes && miss > 0.0; i++)
		miss *= (double)(range - ports - i) / (double)(range - i);
	return 1.0 - miss;
}

/*
 * Both hard: A's probe i leaves from a fresh mapping p_i toward a guess
 * q_i of B's ports; B's probe j from r_j toward s_j. A datagram gets
 * through both NATs (each address and port-dependent in the worst case)
 * only if r_j = q_i and s_j = p_i: A aimed at B's mapping and B at A's,
 * chance 1/M^2 per pair, N^2 pairs: 1 - (1 - 1/M^2)^(N^2) ~ 1 - exp(-N^2/M^2).
 * The power by squaring: no libm, and exact rather than the approximation.
 */
double hp_spray_p_hard_hard(unsigned probes, unsigned range)
{
	double m = range, base = 1.0 - 1.0 / (m * m), miss = 1.0;
	unsigned long long e = (unsigned long long)probes * probes;

	if (!range)
		return 0.0;
	for (; e; e >>= 1, base *= base)
		if (e & 1)
			miss *= base;
	return 1.0 - miss;
}
