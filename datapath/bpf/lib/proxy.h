/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Delivery to the node's L7 proxy (datapath/DESIGN.md, "L7 redirect to the proxy"): the listener lookup in
 * hg_proxy_sockets, bpf_sk_assign of a new connection's SYN, and the marks that route the other packets of a
 * proxied connection to the proxy's sockets.
 */
#ifndef HEXGATE_LIB_PROXY_H
#define HEXGATE_LIB_PROXY_H

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>

#include "abi.h"
#include "maps.h"
#include "events.h"

static __always_inline bool has_mark(const struct __sk_buff *skb, __u32 mark)
{
	return (skb->mark & HG_MARK_MASK) == mark;
}

/* Whether the proxy listens in `slot` (a socket closes: its slot empties by itself). */
static __always_inline bool proxy_listening(__u32 slot)
{
	struct bpf_sock *sk = bpf_map_lookup_elem(&hg_proxy_sockets, &slot);

	if (!sk)
		return false;
	bpf_sk_release(sk);
	return true;
}

/*
 * Whether a socket of this namespace other than a listener holds the SYN's tuple. The stack then has to meet
 * the SYN with that socket, not the proxy's listener: it will not queue a connection over one that holds
 * the tuple, and drops the listener's request without a word. After the proxy closed its side of a
 * connection first (the server had closed), that side sits in TIME_WAIT for a minute while the client, which
 * closed second, may take the same port again at once. Met by the stack, the TIME_WAIT socket reopens the
 * connection by looking for a listener at the original destination, where proxy_reopen (sk_lookup) answers
 * with the proxy's listener for the tuple recorded here, as netfilter's TPROXY does for TIME_WAIT. Any other
 * socket answers the SYN as TCP does (the request of a retransmitted SYN sends its SYN-ACK again).
 */
static __always_inline bool proxy_tuple_taken(struct __sk_buff *skb, const struct hg_pkt *p, __u32 slot)
{
	/* laid out as bpf_sock_tuple's ipv4 member: the lookup's tuple and the map's key are one */
	struct hg_reopen_key k = {
		.saddr = p->tuple.saddr,
		.daddr = p->tuple.daddr,
		.sport = p->tuple.sport,
		.dport = p->tuple.dport,
	};
	struct bpf_sock *sk;
	bool taken;

	sk = bpf_skc_lookup_tcp(skb, (struct bpf_sock_tuple *)&k, sizeof(k), BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return false;
	taken = sk->state != BPF_TCP_LISTEN;
	if (sk->state == BPF_TCP_TIME_WAIT)
		bpf_map_update_elem(&hg_proxy_reopen, &k, &slot, BPF_ANY);
	bpf_sk_release(sk);
	return taken;
}

/*
 * Hands a new connection's SYN to the listener in `slot` (at a tc ingress hook only): the stack then
 * delivers it to that socket whatever its destination address, as the test_sk_assign selftest does; or, when
 * a socket holds the tuple already, to that socket (proxy_tuple_taken). 0, or the drop reason.
 */
static __always_inline __u32 proxy_assign(struct __sk_buff *skb, const struct hg_pkt *p, __u32 slot)
{
	struct bpf_sock *sk = bpf_map_lookup_elem(&hg_proxy_sockets, &slot);
	long err;

	if (!sk)
		return DROP_PROXY_LOOKUP_FAILED;
	if (proxy_tuple_taken(skb, p, slot)) {
		bpf_sk_release(sk);
		return 0;
	}
	err = bpf_sk_assign(skb, sk, 0);
	bpf_sk_release(sk);
	return err ? DROP_PROXY_ASSIGN_FAILED : 0;
}

/*
 * A packet of a proxied connection: marked for local delivery, so the stack's policy route hands it to the
 * proxy's socket of its tuple. from_pod (tc ingress) lets the stack take it; to_pod (tc egress: the stack is
 * behind it) turns it round into lo's ingress, where to_proxy makes it a packet for this host. Only to_pod
 * passes what the proxy itself sends (`from_mark`: its sockets' SO_MARK for this connection) on to the pod.
 */
static __always_inline int proxy_deliver(struct __sk_buff *skb, __u32 dir, __u32 from_mark)
{
	if (dir == HG_DIR_INGRESS && has_mark(skb, from_mark))
		return forward(skb, dir);
	skb->mark = HG_MARK_TO_PROXY;
	count(skb, HG_FORWARDED, dir);
	skb->cb[0] = HG_FORWARDED;
	if (dir == HG_DIR_EGRESS)
		return TC_ACT_OK;
	return bpf_redirect(HG_LOOPBACK_IFINDEX, BPF_F_INGRESS);
}

#endif /* HEXGATE_LIB_PROXY_H */
