/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The IP cache (address -> identity) and the hg_policy lookups of one endpoint, direction and port. */
#ifndef HEXGATE_LIB_POLICY_H
#define HEXGATE_LIB_POLICY_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "abi.h"
#include "maps.h"
#include "parse.h"

static __always_inline __u32 identity_of(__u32 addr)
{
	struct hg_ipcache_host_key h = { .addr = addr };
	struct hg_ipcache_key k = { .prefixlen = 32, .addr = addr };
	struct hg_ipcache_value *v = bpf_map_lookup_elem(&hg_ipcache_host, &h);

	if (v)
		return v->identity;
	v = bpf_map_lookup_elem(&hg_ipcache, &k);
	return v ? v->identity : HG_IDENTITY_WORLD;
}

/*
 * One identity's table (see hg_policy_key): the protocol's entry, then its port blocks longest prefix first;
 * without a protocol entry the table entry. NULL: the identity has no table of its own.
 */
static __always_inline struct hg_policy_value *policy_table_lookup(struct hg_policy_key *k, __u16 port)
{
	struct hg_policy_value *proto, *v;
	__u32 prefixes;
	__u8 protocol = k->protocol;

	k->prefix = HG_POLICY_PROTO;
	k->port = 0;
	proto = bpf_map_lookup_elem(&hg_policy, k);
	if (!proto) {
		k->protocol = 0;
		k->prefix = HG_POLICY_TABLE;
		v = bpf_map_lookup_elem(&hg_policy, k);
		k->protocol = protocol;
		return v;
	}
	prefixes = proto->prefixes;
#pragma unroll
	for (int len = 16; len >= 1; len--) {
		if (!(prefixes & (1u << len)))
			continue;
		k->prefix = len;
		k->port = port & bpf_htons((__u16)(0xffff << (16 - len)));
		v = bpf_map_lookup_elem(&hg_policy, k);
		if (v)
			return v;
	}
	return proto;
}

/*
 * The two-table scheme of DESIGN.md: the remote identity's own table (which the agent folded together with
 * the identity-0 entries), else the identity-0 table. NULL = no match.
 */
static __always_inline struct hg_policy_value *policy_lookup_port(__u32 endpoint, __u32 remote, __u32 dir,
								   __u8 proto, __u16 port)
{
	struct hg_policy_key k = {
		.endpoint = endpoint,
		.identity = remote,
		.direction = dir,
		.protocol = proto,
	};
	struct hg_policy_value *v = policy_table_lookup(&k, port);

	if (v)
		return v;
	k.identity = 0;
	return policy_table_lookup(&k, port);
}

static __always_inline struct hg_policy_value *policy_lookup(__u32 endpoint, __u32 remote, __u32 dir,
							      const struct hg_pkt *p)
{
	return policy_lookup_port(endpoint, remote, dir, p->policy_proto, p->policy_port);
}

#endif /* HEXGATE_LIB_POLICY_H */
