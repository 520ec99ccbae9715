/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* ICMP errors about tracked connections: passed as related, with the quoted packet translated back. */
#ifndef HEXGATE_LIB_ICMP_H
#define HEXGATE_LIB_ICMP_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <stdbool.h>
#include <stddef.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "abi.h"
#include "conntrack.h"
#include "events.h"
#include "parse.h"

/* The packet an ICMP error quotes: its IPv4 header and first 8 L4 bytes, after the 8-byte ICMP header. */
struct hg_quote {
	struct hg_ct_key tuple; /* as quoted, with the direction of the hook that passed the quoted packet */
	__u32 ip_off;
	__u32 l4_off;
};

static __always_inline bool parse_quote(struct __sk_buff *skb, const struct hg_pkt *p, __u32 dir,
					struct hg_quote *q)
{
	struct iphdr ip;
	__u8 l4[8];

	q->ip_off = p->l4_off + 8;
	if (bpf_skb_load_bytes(skb, q->ip_off, &ip, sizeof(ip)))
		return false;
	if (ip.version != 4 || ip.ihl < 5 || (ip.frag_off & bpf_htons(IP_OFFSET)))
		return false;
	q->l4_off = q->ip_off + ip.ihl * 4;
	if (bpf_skb_load_bytes(skb, q->l4_off, l4, sizeof(l4)))
		return false;
	q->tuple.saddr = ip.saddr;
	q->tuple.daddr = ip.daddr;
	q->tuple.protocol = ip.protocol;
	/* The quoted packet went the other way: the other hook of this pod passed it. */
	q->tuple.direction = dir == HG_DIR_EGRESS ? HG_DIR_INGRESS : HG_DIR_EGRESS;
	switch (ip.protocol) {
	case HG_PROTO_TCP:
	case HG_PROTO_UDP:
	case HG_PROTO_SCTP:
		q->tuple.sport = *(__u16 *)l4;
		q->tuple.dport = *(__u16 *)(l4 + 2);
		return true;
	case HG_PROTO_ICMP:
		if (l4[0] == ICMP_ECHO_REQUEST)
			q->tuple.sport = *(__u16 *)(l4 + 4);
		else if (l4[0] == ICMP_ECHO_REPLY)
			q->tuple.dport = *(__u16 *)(l4 + 4);
		else
			return false;
		return true;
	default:
		return false;
	}
}

/*
 * The error answers a packet the pod sent to a service's backend: show the pod the frontend it used, in
 * the quote (destination address and port, fixing the quoted header's checksum and the ICMP checksum,
 * which covers the quote) and as the error's sender when that is the backend itself.
 */
static __always_inline int quote_rev_nat(struct __sk_buff *skb, const struct hg_pkt *p, const struct hg_quote *q,
					 __u32 frontend, __u16 frontend_port)
{
	__u32 icmp_csum = p->l4_off + 2;
	__u32 check_off = q->ip_off + offsetof(struct iphdr, check);
	__u32 backend = q->tuple.daddr;
	__u16 backend_port = q->tuple.dport;
	__u16 old_check, new_check;

	if (bpf_skb_load_bytes(skb, check_off, &old_check, sizeof(old_check)) ||
	    bpf_l3_csum_replace(skb, check_off, backend, frontend, sizeof(frontend)) ||
	    bpf_skb_load_bytes(skb, check_off, &new_check, sizeof(new_check)) ||
	    bpf_skb_store_bytes(skb, q->ip_off + offsetof(struct iphdr, daddr), &frontend, sizeof(frontend), 0) ||
	    bpf_skb_store_bytes(skb, q->l4_off + 2, &frontend_port, sizeof(frontend_port), 0) ||
	    bpf_l4_csum_replace(skb, icmp_csum, backend, frontend, sizeof(frontend)) ||
	    bpf_l4_csum_replace(skb, icmp_csum, old_check, new_check, sizeof(new_check)) ||
	    bpf_l4_csum_replace(skb, icmp_csum, backend_port, frontend_port, sizeof(frontend_port)))
		return -1;
	if (p->tuple.saddr != backend)
		return 0;
	if (bpf_l3_csum_replace(skb, ETH_HLEN + offsetof(struct iphdr, check), backend, frontend, sizeof(frontend)) ||
	    bpf_skb_store_bytes(skb, ETH_HLEN + offsetof(struct iphdr, saddr), &frontend, sizeof(frontend), 0))
		return -1;
	return 0;
}

/*
 * An ICMP error (3, 11, 12) about a packet of a connection this node tracks passes with the connection,
 * as "related", without a policy lookup (Cilium's CT_RELATED). The quoted packet is the pod's own (its
 * address in the quote, and in from_pod the connection recorded on this interface); it is looked up as
 * the entry that passed it: as quoted, in the other hook's direction (a connection's entry, or its reply
 * entry for a quoted reply). Returns the tc action, or -1 when the error is not related.
 */
static __always_inline int icmp_related(struct __sk_buff *skb, const struct hg_pkt *p, __u32 dir,
					const struct hg_config *cfg, __u64 now)
{
	struct hg_quote q = {};
	struct hg_ct_value *ct;
	__u32 frontend;
	__u16 frontend_port;

	if (!parse_quote(skb, p, dir, &q))
		return -1;
	if (dir == HG_DIR_EGRESS ? q.tuple.daddr != p->tuple.saddr : q.tuple.saddr != p->tuple.daddr)
		return -1;
	ct = ct_lookup_live(&q.tuple, cfg, now);
	if (!ct || !ct_source_ok(skb, dir, ct))
		return -1;
	/* A translated connection's own entry: the quote names the backend. */
	if ((ct->flags & (HG_CT_NAT | HG_CT_REPLY)) == HG_CT_NAT) {
		frontend = ct->nat_addr;
		frontend_port = ct->nat_port;
		if (quote_rev_nat(skb, p, &q, frontend, frontend_port))
			return drop(skb, p, dir, DROP_INVALID, NULL);
	}
	return forward(skb, dir);
}


#endif /* HEXGATE_LIB_ICMP_H */
