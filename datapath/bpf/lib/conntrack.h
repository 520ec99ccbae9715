/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Connection tracking: lifetimes, lookups that judge stale entries again, recording, quotas. */
#ifndef HEXGATE_LIB_CONNTRACK_H
#define HEXGATE_LIB_CONNTRACK_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "abi.h"
#include "maps.h"
#include "parse.h"
#include "policy.h"

/* The key under which the other hook finds the replies of connection `k`: the reversed tuple. */
static __always_inline void reply_key(struct hg_ct_key *r, const struct hg_ct_key *k)
{
	r->saddr = k->daddr;
	r->daddr = k->saddr;
	r->sport = k->dport;
	r->dport = k->sport;
	r->protocol = k->protocol;
	r->direction = k->direction == HG_DIR_EGRESS ? HG_DIR_INGRESS : HG_DIR_EGRESS;
	r->pad = 0;
}


/*
 * CT times are jiffies (bpf_jiffies64: one load, the verifier inlines it on 64-bit kernels, where a clock
 * helper is a call per packet); a second is hg_config's HZ of them, which the agent writes from its probe.
 * While it is 0 (a zeroed hg_config the agent has not written yet) HG_HZ_FALLBACK stands for it, the
 * slowest tick x86 offers (CONFIG_HZ_100): an entry then lives at most its lifetime, never longer.
 */
static __always_inline __u64 ct_hz(const struct hg_config *cfg)
{
	return cfg->hz ?: HG_HZ_FALLBACK;
}

/* The lifetime of an entry in seconds, by protocol and (TCP) the state its flags say. */
static __always_inline __u64 ct_lifetime(const struct hg_config *cfg, __u8 protocol, __u16 flags)
{
	if (protocol == HG_PROTO_TCP) {
		if (flags & HG_CT_CLOSING)
			return cfg->lifetime_close ?: HG_CT_LIFETIME_CLOSE;
		if (flags & HG_CT_SEEN_NON_SYN)
			return cfg->lifetime_tcp ?: HG_CT_LIFETIME_TCP;
		return cfg->lifetime_syn ?: HG_CT_LIFETIME_SYN;
	}
	if (protocol == HG_PROTO_ICMP)
		return cfg->lifetime_icmp ?: HG_CT_LIFETIME_ICMP;
	return cfg->lifetime_other ?: HG_CT_LIFETIME_OTHER;
}

/* When an entry of `protocol` with `flags` expires if touched at `now` (jiffies). */
static __always_inline __u64 ct_expiry(const struct hg_config *cfg, __u8 protocol, __u16 flags, __u64 now)
{
	return now + ct_lifetime(cfg, protocol, flags) * ct_hz(cfg);
}

/*
 * hg_ct_value.renew of an entry given `expires` at `now`: its lifetime less a second (a lifetime is a
 * second or more), so that ct_touch writes it again once a second has passed. Saturated: an entry whose
 * lifetime is longer than 2^32 jiffies (49 days at HZ 1000) is renewed less often, and may expire up to
 * that much earlier than its last packet's lifetime says, never later.
 */
static __always_inline __u32 ct_renew(const struct hg_config *cfg, __u64 expires, __u64 now)
{
	__u64 r = expires - now - ct_hz(cfg);

	return r > 0xffffffffULL ? 0xffffffffU : (__u32)r;
}

/* The TCP state flags an entry has once packet `p` passed it. */
static __always_inline __u16 ct_flags_after(const struct hg_pkt *p, __u16 flags)
{
	if (p->tuple.protocol != HG_PROTO_TCP)
		return flags;
	if (p->tcp_flags & (TCP_FLAG_FIN | TCP_FLAG_RST))
		return flags | HG_CT_CLOSING;
	if (!(p->tcp_flags & TCP_FLAG_SYN))
		return flags | HG_CT_SEEN_NON_SYN;
	return flags;
}


/*
 * A FIN or RST closes the whole connection: its other entry (the reply entry of a connection, or the
 * connection of a reply entry) gets the closing lifetime too, as the peer may never send again.
 */
static __always_inline bool ct_close_partner(const struct hg_ct_key *k, const struct hg_ct_value *v,
					     const struct hg_config *cfg, __u64 now)
{
	struct hg_ct_value *other;
	struct hg_ct_key r;

	reply_key(&r, k);
	other = bpf_map_lookup_elem(&hg_ct, &r);
	if (!other || ((other->flags ^ v->flags) & HG_CT_REPLY) == 0 || (other->flags & HG_CT_CLOSING) ||
	    now >= other->expires)
		return false;
	other->flags |= HG_CT_CLOSING;
	other->expires = ct_expiry(cfg, HG_PROTO_TCP, HG_CT_CLOSING, now);
	other->renew = ct_renew(cfg, other->expires, now);
	return true;
}

/*
 * A connection that starts closing no longer counts against its endpoint's quota (it goes within the
 * closing lifetime): without this, a pod making many short connections would reach its quota between two
 * GC passes, or at once while no agent runs. The GC's recount counts closing connections out likewise.
 */
static __always_inline void ct_uncharge(__u32 endpoint, const struct hg_config *cfg)
{
	struct hg_ct_count *n;

	if (!cfg->ct_quota)
		return;
	n = bpf_map_lookup_elem(&hg_ct_counts, &endpoint);
	/* Two CPUs may both take 1 away from 1: the counter is read as signed (ct_charge too), so that a
	 * moment's -1 never looks like a full quota; the GC's recount corrects it. */
	if (n && (__s32)n->connections > 0)
		__sync_fetch_and_add(&n->connections, -1);
}

/*
 * ct_touch's write: a subprogram of its own, so that the few instructions of the test stay together
 * (inlined, its code lay some 2,000 instructions away, and every established packet jumped there and back).
 * `k`'s protocol is the packet's.
 */
static __noinline void ct_rewrite(const struct hg_ct_key *k, struct hg_ct_value *v, __u16 flags,
				  const struct hg_config *cfg, __u64 now)
{
	__u64 expires = ct_expiry(cfg, k->protocol, flags, now);

	/* the connection starts closing: its own entry, or its reply entry marking it */
	if ((flags & ~v->flags & HG_CT_CLOSING) && k->direction != HG_DIR_SERVICE &&
	    (ct_close_partner(k, v, cfg, now) || !(v->flags & HG_CT_REPLY)))
		ct_uncharge(v->endpoint, cfg);
	v->flags = flags;
	v->expires = expires;
	v->renew = ct_renew(cfg, expires, now);
}

/*
 * A packet passed entry `v` (key `k`): its life starts again. The entry is written only when its state
 * changes or a second has passed since it was written (`renew`), so an established connection's packets
 * mostly only read it, and the test for that is two loads and a compare: the lifetime is worked out only
 * for a write (it was most of what this cost per packet). A write gives the lifetime hg_config says then.
 */
static __always_inline void ct_touch(const struct hg_ct_key *k, struct hg_ct_value *v, const struct hg_pkt *p,
				     const struct hg_config *cfg, __u64 now)
{
	__u16 flags = ct_flags_after(p, v->flags);

	if (likely(flags == v->flags && now + v->renew < v->expires))
		return;
	ct_rewrite(k, v, flags, cfg, now);
}

/* Forgets connection `k` and its reply entry (an entry of a connection the other way stays). */
static __always_inline void ct_forget(const struct hg_ct_key *k)
{
	struct hg_ct_key r;
	struct hg_ct_value *v;

	reply_key(&r, k);
	v = bpf_map_lookup_elem(&hg_ct, &r);
	bpf_map_delete_elem(&hg_ct, k);
	if (v && (v->flags & HG_CT_REPLY))
		bpf_map_delete_elem(&hg_ct, &r);
}

/*
 * Judges connection entry (or reply entry) `v` again, as the connection was judged when it was new: its
 * endpoint is still the pod's, its peer still has the identity it had, and the policy of the connection's
 * direction still allows its protocol and port. ConntrackRevalidator does the same for the agent.
 */
static __noinline bool ct_still_allowed(const struct hg_ct_key *k, const struct hg_ct_value *v)
{
	struct hg_endpoint_value *ep;
	struct hg_endpoint_key ek;
	struct hg_policy_value *pol;
	struct hg_ct_key c;
	__u8 proto = HG_PROTO_OTHER;
	__u16 port = 0;
	__u32 remote;
	bool egress;

	if (v->flags & HG_CT_REPLY)
		reply_key(&c, k);
	else
		c = *k;
	egress = c.direction == HG_DIR_EGRESS;
	ek.addr = egress ? c.saddr : c.daddr;
	ep = bpf_map_lookup_elem(&hg_endpoints, &ek);
	/* the pod's interface too: a pod recreated on the address has another one */
	if (!ep || ep->id != v->endpoint || ep->ifindex != v->ifindex)
		return false;
	remote = identity_of(egress ? c.daddr : c.saddr);
	if (remote != v->peer_identity)
		return false;
	switch (c.protocol) {
	case HG_PROTO_TCP:
	case HG_PROTO_UDP:
	case HG_PROTO_SCTP:
		proto = c.protocol;
		port = c.dport;
		break;
	case HG_PROTO_ICMP:
		/* recorded by an echo request: identifier in sport; by an echo reply: in dport */
		proto = HG_PROTO_ICMP;
		port = bpf_htons(c.sport != 0 || c.dport == 0 ? ICMP_ECHO_REQUEST : ICMP_ECHO_REPLY);
		break;
	}
	pol = policy_lookup_port(ep->id, remote, c.direction, proto, port);
	/* a proxied connection stands while its entry still redirects (or allows: the proxy then denies) */
	return pol && (pol->verdict == HG_VERDICT_ALLOW ||
		       ((v->flags & HG_CT_PROXY) && pol->verdict == HG_VERDICT_REDIRECT));
}

/*
 * The entry of `k` if it is live: not expired, and judged at the current policy generation or still
 * allowed when judged again now (then stamped). A connection no longer allowed is forgotten, both its
 * entries, and the packet is judged as new. Service entries (backend choices) are never judged.
 */
static __always_inline struct hg_ct_value *ct_lookup_live(struct hg_ct_key *k, const struct hg_config *cfg,
							  __u64 now)
{
	struct hg_ct_value *v = bpf_map_lookup_elem(&hg_ct, k);
	struct hg_ct_key c;

	if (unlikely(!v || now >= v->expires))
		return NULL;
	if (likely(v->generation == cfg->generation) || k->direction == HG_DIR_SERVICE)
		return v;
	if (ct_still_allowed(k, v)) {
		v->generation = cfg->generation;
		return v;
	}
	if (v->flags & HG_CT_REPLY)
		reply_key(&c, k);
	else
		c = *k;
	ct_forget(&c);
	return NULL;
}

/* Counts a new connection against its endpoint's quota; false when the endpoint has used it up. */
static __always_inline bool ct_charge(__u32 endpoint, const struct hg_config *cfg)
{
	struct hg_ct_count zero = {};
	struct hg_ct_count *n;

	if (!cfg->ct_quota)
		return true;
	n = bpf_map_lookup_elem(&hg_ct_counts, &endpoint);
	if (!n) {
		bpf_map_update_elem(&hg_ct_counts, &endpoint, &zero, BPF_NOEXIST);
		n = bpf_map_lookup_elem(&hg_ct_counts, &endpoint);
		if (!n)
			return false;
	}
	if ((__s32)n->connections >= (__s32)cfg->ct_quota)
		return false;
	__sync_fetch_and_add(&n->connections, 1);
	return true;
}

/*
 * Records an allowed connection, and its reply entry, so that replies too are found with one lookup. A
 * connection the other way on the same ports keeps its own entry there; its replies then take the
 * reverse lookup. A reply entry that cannot be stored costs only that second lookup.
 */
static __always_inline int ct_record(const struct hg_ct_key *k, struct hg_ct_value *entry,
				     const struct hg_config *cfg, __u64 now)
{
	struct hg_endpoint_key peer = { .addr = k->direction == HG_DIR_EGRESS ? k->daddr : k->saddr };
	bool local = bpf_map_lookup_elem(&hg_endpoints, &peer) != NULL;
	struct hg_ct_key r;
	struct hg_ct_value *there;

	/* Egress: the packets of the connection go to the peer; ingress: its replies do. */
	if (local && k->direction == HG_DIR_EGRESS)
		entry->flags |= HG_CT_LOCAL;
	if (!ct_charge(entry->endpoint, cfg))
		return -1;
	if (bpf_map_update_elem(&hg_ct, k, entry, BPF_ANY))
		return -1;
	if (entry->flags & HG_CT_MIDSTREAM)
		return 0;
	reply_key(&r, k);
	there = bpf_map_lookup_elem(&hg_ct, &r);
	/* an expired entry there is absent */
	if (!there || (there->flags & HG_CT_REPLY) || now >= there->expires) {
		entry->flags = (entry->flags & ~HG_CT_LOCAL) | HG_CT_REPLY | (local && r.direction == HG_DIR_EGRESS ? HG_CT_LOCAL : 0);
		bpf_map_update_elem(&hg_ct, &r, entry, BPF_ANY);
	}
	return 0;
}

/*
 * Whether a packet the pod sent arrived on the host-side interface that `ifindex` names: its source
 * endpoint's, or the one recorded with the connection it claims to belong to. So a pod can neither borrow
 * a neighbour's address (and egress policy) nor send into the neighbour's connections. 0 (the interface
 * is unknown) never matches: fail closed.
 */
static __always_inline bool source_ok(const struct __sk_buff *skb, __u32 ifindex)
{
	return ifindex != 0 && ifindex == skb->ingress_ifindex;
}

/* A CT hit passes a packet only on its own pod's interface (from_pod; to_pod delivers, it has no source). */
static __always_inline bool ct_source_ok(const struct __sk_buff *skb, __u32 dir, const struct hg_ct_value *ct)
{
	return dir != HG_DIR_EGRESS || source_ok(skb, ct->ifindex);
}

#endif /* HEXGATE_LIB_CONNTRACK_H */
