/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Rewriting addresses and ports with incremental checksum fixes. */
#ifndef HEXGATE_LIB_CSUM_H
#define HEXGATE_LIB_CSUM_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <stdbool.h>
#include <stddef.h>
#include <bpf/bpf_helpers.h>

#include "abi.h"
#include "parse.h"

/* Checksum offset inside the L4 header, 0 when the protocol has none we can fix incrementally. */
static __always_inline __u32 l4_csum_off(__u8 proto)
{
	if (proto == HG_PROTO_TCP)
		return 16;
	if (proto == HG_PROTO_UDP)
		return 6;
	return 0;
}

/*
 * Rewrites the source (replies) or destination (requests) address and port, fixing the IP header
 * checksum and the TCP/UDP checksum incrementally; a UDP checksum of 0 (none) stays 0.
 */
static __always_inline int rewrite(struct __sk_buff *skb, const struct hg_pkt *p, bool source,
				   __u32 old_addr, __u16 old_port, __u32 new_addr, __u16 new_port)
{
	__u32 addr_off = ETH_HLEN + (source ? offsetof(struct iphdr, saddr) : offsetof(struct iphdr, daddr));
	__u32 port_off = p->l4_off + (source ? 0 : 2);
	/* a later fragment has no L4 header: its first fragment's checksum covered the addresses */
	bool l4 = p->frag != HG_FRAG_LATER;
	__u32 csum_off = l4 ? l4_csum_off(p->tuple.protocol) : 0;
	__u64 mangled = p->tuple.protocol == HG_PROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;

	if (csum_off) {
		csum_off += p->l4_off;
		if (bpf_l4_csum_replace(skb, csum_off, old_addr, new_addr,
					BPF_F_PSEUDO_HDR | mangled | sizeof(new_addr)))
			return -DROP_INVALID;
		if (bpf_l4_csum_replace(skb, csum_off, old_port, new_port, mangled | sizeof(new_port)))
			return -DROP_INVALID;
	}
	if (bpf_l3_csum_replace(skb, ETH_HLEN + offsetof(struct iphdr, check), old_addr, new_addr,
				sizeof(new_addr)))
		return -DROP_INVALID;
	if (bpf_skb_store_bytes(skb, addr_off, &new_addr, sizeof(new_addr), 0))
		return -DROP_INVALID;
	if (l4 && bpf_skb_store_bytes(skb, port_off, &new_port, sizeof(new_port), 0))
		return -DROP_INVALID;
	return 0;
}

#endif /* HEXGATE_LIB_CSUM_H */
