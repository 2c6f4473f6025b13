// SPDX-License-Identifier: MIT
/*
 * The trace's names (trace.h): the JSON's keys and values, the page's
 * classes, and the NFLOG prefixes nat.c's rules log with, each list one
 * table.
 */
#include <string.h>

#include "trace.h"

static const char *const kind_names[LAB_TR_KIND_COUNT] = {
	[LAB_TR_CLIENT] = "client", [LAB_TR_MAP] = "map", [LAB_TR_PKT] = "pkt",
};

static const char *const client_names[LAB_TRC_COUNT] = {
	[LAB_TRC_REGISTERED] = "registered", [LAB_TRC_INTRODUCED] = "introduced",
	[LAB_TRC_PUNCH] = "punch",           [LAB_TRC_ICMP] = "icmp",
	[LAB_TRC_PATH] = "path",             [LAB_TRC_CONNECTED] = "connected",
	[LAB_TRC_NAT] = "nat",               [LAB_TRC_SPRAY] = "spray",
	[LAB_TRC_SPRAY_HIT] = "spray_hit",   [LAB_TRC_SPRAY_END] = "spray_end",
	[LAB_TRC_OTHER] = "other",
};

static const char *const fate_names[LAB_FATE_COUNT] = {
	[LAB_FATE_FORWARDED] = "forwarded", [LAB_FATE_DROPPED] = "dropped",
	[LAB_FATE_LOCAL] = "local",         [LAB_FATE_EXPIRED] = "expired",
	[LAB_FATE_UNROUTABLE] = "unroutable", [LAB_FATE_UNKNOWN] = "unknown",
};

/* The drop rules: the NFLOG prefix each logs with, and why it drops. */
static const struct {
	const char *name, *why;
} rules[LAB_RULE_COUNT] = {
	[LAB_RULE_NONE] = { "", "" },
	[LAB_RULE_FW_INPUT] = { "fw-input", "nothing new from the wan reaches the router" },
	[LAB_RULE_FW_FORWARD] = { "fw-forward", "nothing unsolicited is forwarded to the lan" },
	[LAB_RULE_ISOLATION] = { "isolation", "the two lans do not reach each other" },
	[LAB_RULE_SESSIONS] = { "sessions", "the router's session table is full: no new flow out" },
};

static const char *const at_names[LAB_AT_COUNT] = {
	[LAB_AT_IN] = "in", [LAB_AT_OUT] = "out", [LAB_AT_DROP] = "drop",
};

const char *lab_trace_kind_name(enum lab_tr_kind k)
{
	return (unsigned)k < LAB_TR_KIND_COUNT ? kind_names[k] : "?";
}

const char *lab_trace_client_name(enum lab_tr_client c)
{
	return (unsigned)c < LAB_TRC_COUNT ? client_names[c] : "?";
}

const char *lab_trace_map_name(enum lab_ct_ev_type m)
{
	switch (m) {
	case LAB_CT_EV_NEW: return "new";
	case LAB_CT_EV_UPDATE: return "update";
	case LAB_CT_EV_DESTROY: return "destroy";
	}
	return "?";
}

const char *lab_trace_fate_name(enum lab_tr_fate f)
{
	return (unsigned)f < LAB_FATE_COUNT ? fate_names[f] : "?";
}

const char *lab_trace_rule_name(enum lab_tr_rule r)
{
	return (unsigned)r < LAB_RULE_COUNT ? rules[r].name : "";
}

const char *lab_trace_rule_why(enum lab_tr_rule r)
{
	return (unsigned)r < LAB_RULE_COUNT ? rules[r].why : "";
}

enum lab_tr_rule lab_trace_rule_find(const char *nflog_prefix)
{
	for (int r = LAB_RULE_NONE + 1; r < LAB_RULE_COUNT; r++)
		if (!strcmp(nflog_prefix, rules[r].name))
			return (enum lab_tr_rule)r;
	return LAB_RULE_NONE;
}

const char *lab_trace_at_name(enum lab_tr_at at)
{
	return (unsigned)at < LAB_AT_COUNT ? at_names[at] : "?";
}

enum lab_tr_at lab_trace_at_find(const char *nflog_prefix, enum lab_tr_rule *rule)
{
	*rule = lab_trace_rule_find(nflog_prefix);
	if (*rule != LAB_RULE_NONE)
		return LAB_AT_DROP;
	if (!strcmp(nflog_prefix, at_names[LAB_AT_IN]))
		return LAB_AT_IN;
	if (!strcmp(nflog_prefix, at_names[LAB_AT_OUT]))
		return LAB_AT_OUT;
	return LAB_AT_COUNT;
}

