/* SPDX-License-Identifier: MIT */
#ifndef HPCLIENT_OPTS_H
#define HPCLIENT_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "proto.h"

struct client_opts {
	uint16_t port;             /* local port, 0 = any */
	const char *server_host;
	uint16_t server_port;
	char room[HP_ROOM_MAX + 1];
	char nick[HP_NICK_MAX + 1];
	const char *secret;        /* NULL = none */
	unsigned timeout_s;        /* registration, and punching, each */
	unsigned keepalive_ms;     /* keepalive and server refresh interval */
	int punch_ttl;             /* TTL of the first public punch, 0 = off */
	unsigned relay_after_ms;   /* relay if not direct this long after intro */
	bool no_relay;             /* never relay: punching timeout is fatal */
	bool force_relay;          /* testing: relay at once, never go direct */
	bool probe;                /* RFC 5780 NAT behaviour discovery, then exit */
	unsigned probe_wait_ms;    /* --probe: least wait for an unanswered test */
	/* the birthday spray (docs/hpclient.md, "The birthday spray") */
	unsigned spray_ports;      /* hard side: extra sockets */
	unsigned spray_probes;     /* easy side: probes at most */
	unsigned spray_rate;       /* easy side: probes per second */
	bool no_spray;             /* neither the verdict nor the spray */
	bool spray_hard_hard;      /* (teaching) spray even when both are hard */
	bool json, quiet, verbose;
};

/* 0 = run, 1 = --help or --version printed (exit 0), -EINVAL = usage error printed to err. */
int client_opts_parse(struct client_opts *o, int argc, char **argv, FILE *err);

#endif
