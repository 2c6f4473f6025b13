/* SPDX-License-Identifier: MIT */
#ifndef HP_SPRAY_DEFAULTS_H
#define HP_SPRAY_DEFAULTS_H

/*
 * The birthday spray's defaults (docs/nat-types.md, "Hard NATs"): hpclient
 * uses them unless told otherwise, and the lab's theory predicts with them.
 */
#define HP_SPRAY_PORTS      256   /* extra sockets the hard side opens */
#define HP_SPRAY_PROBES     1024  /* probes the easy side sends at most */
#define HP_SPRAY_RATE       500   /* probes per second */
/* ports a Linux NAT draws a random mapping from when no range is given
 * (MASQUERADE --random-fully: 1024..65535) */
#define HP_SPRAY_PORT_RANGE 64512

/* The chance a spray wins, easy x hard: `probes` distinct ports of
 * `range` tried against `ports` open ones (docs/nat-types.md, "Hard NATs"). */
double hp_spray_p_easy_hard(unsigned ports, unsigned probes, unsigned range);
/* Both hard: each side sends `probes` from fresh mappings to random ports. */
double hp_spray_p_hard_hard(unsigned probes, unsigned range);

#endif
