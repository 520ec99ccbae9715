/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Parsing a packet once into struct hg_pkt, and the fragment table that gives later fragments ports. */
#ifndef HEXGATE_LIB_PARSE_H
#define HEXGATE_LIB_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "abi.h"
#include "maps.h"

#define AF_INET 2 /* <sys/socket.h> is libc's, not the BPF target's */
/* Which way a branch mostly goes: clang lays out the likely way straight on, so that a packet of an
 * established connection runs through a few adjacent instructions instead of jumping across the program. */
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10
#define ICMP_ECHO_REPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_FRAG_NEEDED 4
#define ICMP_ECHO_REQUEST 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12
#define IP_MF 0x2000
#define IP_OFFSET 0x1fff

#define HG_FRAG_NONE 0
#define HG_FRAG_FIRST 1 /* MF set, offset 0: its ports are recorded when it is forwarded */
#define HG_FRAG_LATER 2 /* offset > 0: no L4 header, the first fragment's ports */

/* What one packet looks like to the datapath, parsed once. */
struct hg_pkt {
	struct hg_ct_key tuple; /* direction left 0 until the hook sets it */
	__u32 l4_off;
	__u16 policy_port;      /* network order: destination port, ICMP type, or 0 */
	__u8 policy_proto;      /* HG_PROTO_*, "other" folded to 0 */
	__u8 tcp_flags;
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 frag;              /* HG_FRAG_* */
	__u16 ip_id;            /* network order, of fragments */
};

/* The outcome of parsing: a packet to judge, one to pass untouched, or a drop reason. */
#define HG_PARSE_IPV4 0
#define HG_PARSE_PASS 1

static __always_inline int parse_l4(struct hg_pkt *p, void *l4, void *end)
{
	switch (p->tuple.protocol) {
	case HG_PROTO_TCP:
		if (l4 + 20 > end)
			return -DROP_INVALID;
		p->tuple.sport = *(__u16 *)l4;
		p->tuple.dport = *(__u16 *)(l4 + 2);
		p->tcp_flags = *(__u8 *)(l4 + 13);
		p->policy_port = p->tuple.dport;
		p->policy_proto = HG_PROTO_TCP;
		return HG_PARSE_IPV4;
	case HG_PROTO_UDP:
	case HG_PROTO_SCTP:
		if (l4 + 8 > end)
			return -DROP_INVALID;
		p->tuple.sport = *(__u16 *)l4;
		p->tuple.dport = *(__u16 *)(l4 + 2);
		p->policy_port = p->tuple.dport;
		p->policy_proto = p->tuple.protocol;
		return HG_PARSE_IPV4;
	case HG_PROTO_ICMP:
		if (l4 + 8 > end)
			return -DROP_INVALID;
		p->icmp_type = *(__u8 *)l4;
		p->icmp_code = *(__u8 *)(l4 + 1);
		/* The echo identifier stands in for the ports so that a reply's reversed tuple is its request's. */
		if (p->icmp_type == ICMP_ECHO_REQUEST)
			p->tuple.sport = *(__u16 *)(l4 + 4);
		else if (p->icmp_type == ICMP_ECHO_REPLY)
			p->tuple.dport = *(__u16 *)(l4 + 4);
		p->policy_port = bpf_htons(p->icmp_type);
		p->policy_proto = HG_PROTO_ICMP;
		return HG_PARSE_IPV4;
	default:
		p->policy_proto = HG_PROTO_OTHER;
		return HG_PARSE_IPV4;
	}
}

static __always_inline int parse(struct __sk_buff *skb, struct hg_pkt *p)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	__u32 ihl;

	if ((void *)(eth + 1) > end)
		return -DROP_INVALID;
	if (eth->h_proto == bpf_htons(ETH_P_ARP))
		return HG_PARSE_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return -DROP_UNKNOWN_L3;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end)
		return -DROP_INVALID;
	ihl = ip->ihl;
	if (ip->version != 4 || ihl < 5)
		return -DROP_INVALID;
	p->tuple.saddr = ip->saddr;
	p->tuple.daddr = ip->daddr;
	p->tuple.protocol = ip->protocol;
	p->l4_off = ETH_HLEN + ihl * 4;
	if (ip->frag_off & bpf_htons(IP_OFFSET | IP_MF)) {
		p->ip_id = ip->id;
		/* A later fragment carries no L4 header: later_fragment() gives it its first fragment's ports. */
		if (ip->frag_off & bpf_htons(IP_OFFSET)) {
			p->frag = HG_FRAG_LATER;
			return HG_PARSE_IPV4;
		}
		p->frag = HG_FRAG_FIRST;
	}
	return parse_l4(p, data + p->l4_off, end);
}

/* A new request is never a reply, whatever the CT map holds: a denied peer's SYN or echo
 * request must not pass as the answer to a connection in the other direction. */
static __always_inline bool is_new_request(const struct hg_pkt *p)
{
	if (p->tuple.protocol == HG_PROTO_TCP)
		return (p->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;
	return p->tuple.protocol == HG_PROTO_ICMP && p->icmp_type == ICMP_ECHO_REQUEST;
}

/* Echo is the only ICMP exchange tracked; other ICMP messages are judged one by one. */
static __always_inline bool is_tracked(const struct hg_pkt *p)
{
	return p->tuple.protocol != HG_PROTO_ICMP || p->icmp_type == ICMP_ECHO_REQUEST ||
	       p->icmp_type == ICMP_ECHO_REPLY;
}

static __always_inline bool is_icmp_error(const struct hg_pkt *p)
{
	return p->tuple.protocol == HG_PROTO_ICMP &&
	       (p->icmp_type == ICMP_DEST_UNREACH || p->icmp_type == ICMP_TIME_EXCEEDED ||
		p->icmp_type == ICMP_PARAMETERPROB);
}


static __always_inline bool has_ports(__u8 protocol)
{
	return protocol == HG_PROTO_TCP || protocol == HG_PROTO_UDP || protocol == HG_PROTO_SCTP;
}

static __always_inline void frag_key(struct hg_frag_key *k, const struct hg_pkt *p)
{
	k->saddr = p->tuple.saddr;
	k->daddr = p->tuple.daddr;
	k->id = p->ip_id;
	k->protocol = p->tuple.protocol;
	k->pad = 0;
}

/* A later fragment takes the ports its first fragment was forwarded with; without them it is dropped. */
static __always_inline int later_fragment(struct hg_pkt *p)
{
	struct hg_frag_key k;
	struct hg_frag_value *v;

	if (!has_ports(p->tuple.protocol))
		return -DROP_FRAG_NOT_SUPPORTED;
	frag_key(&k, p);
	v = bpf_map_lookup_elem(&hg_frags, &k);
	if (!v)
		return -DROP_FRAG_NOT_SUPPORTED;
	p->tuple.sport = v->sport;
	p->tuple.dport = v->dport;
	p->policy_port = v->dport;
	p->policy_proto = p->tuple.protocol;
	return 0;
}

#endif /* HEXGATE_LIB_PARSE_H */
