// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Hexgate's tc programs (DESIGN.md): from_pod and to_pod on the host side of each pod's veth, from_netdev
 * on the node's uplink. IPv4 only. The Java twin (io.hexgate.datapath.twin.JavaDatapath) follows these
 * steps one for one; change both together, the differential test compares them packet by packet.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <stdbool.h>
#include <stddef.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "hexgate.h"
#include "maps.h"

#define AF_INET 2 /* <sys/socket.h> is libc's, not the BPF target's */
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

static __always_inline void count(struct __sk_buff *skb, __u32 reason, __u32 dir)
{
	__u32 slot = (reason & 0xff) * 4 + dir;
	struct hg_metrics_value *m = bpf_map_lookup_elem(&hg_metrics, &slot);

	if (m) {
		m->packets++;
		m->bytes += skb->len;
	}
}

/* Identity and rule facts of a judged connection, for its policy-verdict event. */
struct hg_judgement {
	__u32 endpoint;
	__u32 src_identity;
	__u32 dst_identity;
	__u32 rule_id;
	__u32 orig_daddr;
	__u16 orig_dport;
	__u8 action;
	__u8 match_type;
};

static __always_inline void emit(struct __sk_buff *skb, const struct hg_pkt *p, __u8 type, __u32 dir,
				 __u32 reason, const struct hg_judgement *j)
{
	struct hg_event *e = bpf_ringbuf_reserve(&hg_events, sizeof(*e), 0);
	__u32 zero = 0;
	__u64 *lost;

	if (!e) {
		/* the ring buffer is full: the agent reports these as lost events */
		lost = bpf_map_lookup_elem(&hg_lost, &zero);
		if (lost)
			(*lost)++;
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->time_ns = bpf_ktime_get_ns();
	e->type = type;
	e->direction = dir;
	e->reason = reason;
	e->protocol = p->tuple.protocol;
	e->saddr = p->tuple.saddr;
	e->daddr = p->tuple.daddr;
	e->sport = p->tuple.sport;
	e->dport = p->tuple.dport;
	e->length = skb->len;
	if (j) {
		e->action = j->action;
		e->match_type = j->match_type;
		e->endpoint = j->endpoint;
		e->src_identity = j->src_identity;
		e->dst_identity = j->dst_identity;
		e->rule_id = j->rule_id;
		e->orig_daddr = j->orig_daddr;
		e->orig_dport = j->orig_dport;
	}
	bpf_ringbuf_submit(e, 0);
}

static __always_inline int forward(struct __sk_buff *skb, __u32 dir)
{
	count(skb, HG_FORWARDED, dir);
	skb->cb[0] = HG_FORWARDED;
	return TC_ACT_OK;
}

static __always_inline bool config_has(__u32 flag)
{
	__u32 zero = 0;
	struct hg_config *c = bpf_map_lookup_elem(&hg_config, &zero);

	return c && (c->flags & flag);
}

/*
 * Forwards a packet of an established connection. One for a pod of this node does not take the node's IP
 * stack (as with Cilium's host routing): it goes out of that pod's host-side interface (bpf_redirect_neigh),
 * where the pod's to_pod judges it as always. Anything the FIB does not simply forward (local addresses, no
 * route, too big) takes the IP stack. (Handing the packet straight into the pod with bpf_redirect_peer
 * skipped to_pod as well, but measured slower: the receiving socket then often meets its owner's lock.)
 */
static __always_inline int deliver(struct __sk_buff *skb, const struct hg_pkt *p, __u32 dir,
				   const struct hg_ct_value *ct)
{
	struct bpf_fib_lookup fib = {};
	struct bpf_redir_neigh nh = {};

	if (dir != HG_DIR_EGRESS || !(ct->flags & HG_CT_LOCAL) || !config_has(HG_CONFIG_HOST_ROUTING))
		return forward(skb, dir);
	fib.family = AF_INET;
	fib.l4_protocol = p->tuple.protocol;
	fib.ipv4_src = p->tuple.saddr;
	fib.ipv4_dst = p->tuple.daddr;
	fib.ifindex = skb->ingress_ifindex;
	if (bpf_fib_lookup(skb, &fib, sizeof(fib), BPF_FIB_LOOKUP_SKIP_NEIGH) != BPF_FIB_LKUP_RET_SUCCESS)
		return forward(skb, dir);
	nh.nh_family = AF_INET;
	nh.ipv4_nh = fib.ipv4_dst;
	count(skb, HG_FORWARDED, dir);
	skb->cb[0] = HG_FORWARDED;
	return bpf_redirect_neigh(fib.ifindex, &nh, sizeof(nh), 0);
}

static __always_inline int drop(struct __sk_buff *skb, const struct hg_pkt *p, __u32 dir, __u32 reason,
				const struct hg_judgement *j)
{
	count(skb, reason, dir);
	emit(skb, p, j ? HG_EVENT_POLICY_VERDICT : HG_EVENT_DROP, dir, reason, j);
	skb->cb[0] = reason;
	return TC_ACT_SHOT;
}

/* ---------------------------------------------------------------------------------- lifetimes */

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

static __always_inline void reply_key(struct hg_ct_key *r, const struct hg_ct_key *k);

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
 * A packet passed entry `v` (key `k`): its life starts again. The entry is written only when its state
 * changes or a second has passed since it was written (`renew`), so an established connection's packets
 * mostly only read it, and the test for that is two loads and a compare: the lifetime is worked out only
 * for a write (it was most of what this cost per packet). A write gives the lifetime hg_config says then.
 */
static __always_inline void ct_touch(const struct hg_ct_key *k, struct hg_ct_value *v, const struct hg_pkt *p,
				     const struct hg_config *cfg, __u64 now)
{
	__u16 flags = ct_flags_after(p, v->flags);
	__u64 expires;

	if (flags == v->flags && now + v->renew < v->expires)
		return;
	expires = ct_expiry(cfg, p->tuple.protocol, flags, now);
	/* the connection starts closing: its own entry, or its reply entry marking it */
	if ((flags & ~v->flags & HG_CT_CLOSING) && k->direction != HG_DIR_SERVICE &&
	    (ct_close_partner(k, v, cfg, now) || !(v->flags & HG_CT_REPLY)))
		ct_uncharge(v->endpoint, cfg);
	v->flags = flags;
	v->expires = expires;
	v->renew = ct_renew(cfg, expires, now);
}

/* ---------------------------------------------------------------------------------- translation */

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

/* Picks a backend by a hash of the frontend tuple; the twin computes the same hash (host order = LE). */
static __always_inline __u32 tuple_hash(const struct hg_ct_key *t)
{
	__u32 h = t->saddr * 0x9E3779B1u;

	h = (h ^ t->daddr) * 0x85EBCA6Bu;
	h = (h ^ (((__u32)t->sport << 16) | t->dport)) * 0xC2B2AE35u;
	h ^= t->protocol;
	return h ^ (h >> 16);
}

struct hg_service_hit {
	__u32 frontend_addr;
	__u16 frontend_port;
	bool hit;
	bool record;          /* a fresh backend choice, to record with the connection */
	struct hg_backend_value backend;
};

/*
 * Service translation of a pod's packet, before anything else looks at it. Only the parsed tuple
 * changes here; the packet is rewritten once the connection is allowed. A connection keeps its backend
 * through the HG_DIR_SERVICE CT entry; a TCP SYN without ACK starts a new one and chooses afresh.
 */
static __always_inline int translate_service(struct hg_pkt *p, struct hg_service_hit *s,
					     const struct hg_config *cfg, __u64 now)
{
	struct hg_service_key sk = {
		.addr = p->tuple.daddr, .port = p->tuple.dport, .protocol = p->tuple.protocol,
	};
	struct hg_service_value *sv;
	struct hg_backend_value *b;
	struct hg_backend_key bk;
	struct hg_ct_value *svc_ct;

	if (p->tuple.protocol != HG_PROTO_TCP && p->tuple.protocol != HG_PROTO_UDP)
		return 0;
	sv = bpf_map_lookup_elem(&hg_services, &sk);
	if (!sv)
		return 0;
	s->hit = true;
	s->frontend_addr = p->tuple.daddr;
	s->frontend_port = p->tuple.dport;
	p->tuple.direction = HG_DIR_SERVICE;
	svc_ct = is_new_request(p) ? NULL : bpf_map_lookup_elem(&hg_ct, &p->tuple);
	if (svc_ct && now < svc_ct->expires) {
		ct_touch(&p->tuple, svc_ct, p, cfg, now);
		s->backend.addr = svc_ct->nat_addr;
		s->backend.port = svc_ct->nat_port;
	} else {
		if (sv->count == 0)
			return -DROP_NO_SERVICE;
		bk.service_id = sv->service_id;
		bk.slot = tuple_hash(&p->tuple) % sv->count;
		b = bpf_map_lookup_elem(&hg_backends, &bk);
		if (!b)
			return -DROP_NO_SERVICE;
		s->backend = *b;
		s->record = true;
	}
	p->tuple.daddr = s->backend.addr;
	p->tuple.dport = s->backend.port;
	p->policy_port = s->backend.port;
	return 0;
}

/* ---------------------------------------------------------------------------------- policy */

/* The identity of an address: its /32 entry, else the longest shorter prefix, else world. */
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

/* ---------------------------------------------------------------------------------- the hooks */

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

/* A reply passes; the reply of a translated connection comes from the backend: show the frontend. */
static __always_inline int reply(struct __sk_buff *skb, const struct hg_pkt *p, __u32 dir,
				 const struct hg_ct_value *ct)
{
	if ((ct->flags & HG_CT_NAT) &&
	    rewrite(skb, p, true, p->tuple.saddr, p->tuple.sport, ct->nat_addr, ct->nat_port))
		return drop(skb, p, dir, DROP_INVALID, NULL);
	return deliver(skb, p, dir, ct);
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
	return pol && pol->verdict == HG_VERDICT_ALLOW;
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

	if (!v || now >= v->expires)
		return NULL;
	if (v->generation == cfg->generation || k->direction == HG_DIR_SERVICE)
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

/* ---------------------------------------------------------------------------------- validation */

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

static __always_inline bool is_icmp_error(const struct hg_pkt *p)
{
	return p->tuple.protocol == HG_PROTO_ICMP &&
	       (p->icmp_type == ICMP_DEST_UNREACH || p->icmp_type == ICMP_TIME_EXCEEDED ||
		p->icmp_type == ICMP_PARAMETERPROB);
}

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

/* Steps shared by from_pod (egress of the pod) and to_pod (ingress of the pod). */
static __always_inline int handle_ipv4(struct __sk_buff *skb, struct hg_pkt *p, __u32 dir)
{
	struct hg_service_hit svc = {};
	struct hg_judgement j = {};
	struct hg_endpoint_key ek;
	struct hg_endpoint_value *ep;
	struct hg_policy_value *pol;
	struct hg_ct_value *ct = NULL, entry = {};
	struct hg_ct_key rev;
	struct hg_config *cfg;
	bool looked_up = false;
	__u32 zero = 0;
	__u32 remote;
	__u64 now;
	__u8 verdict;
	int ret;

	cfg = bpf_map_lookup_elem(&hg_config, &zero);
	if (!cfg)
		return drop(skb, p, dir, DROP_CT_CREATE_FAILED, NULL); /* an array's only element: never */
	now = bpf_jiffies64();
	p->tuple.direction = dir;
	if (dir == HG_DIR_EGRESS) {
		/* Most packets belong to established connections to pods and other hosts, recorded under their
		 * own tuple (replies under their reply entry): one lookup passes them without the service
		 * lookup. A service connection's entry holds the translated tuple, so its packets go on to
		 * translation. */
		if (is_tracked(p) && !is_new_request(p)) {
			ct = ct_lookup_live(&p->tuple, cfg, now);
			if (ct) {
				if (!source_ok(skb, ct->ifindex))
					return drop(skb, p, dir, DROP_INVALID_SIP, NULL);
				ct_touch(&p->tuple, ct, p, cfg, now);
				return (ct->flags & HG_CT_REPLY) ? reply(skb, p, dir, ct) : deliver(skb, p, dir, ct);
			}
			looked_up = true;
		}
		ret = translate_service(p, &svc, cfg, now);
		if (ret < 0)
			return drop(skb, p, dir, -ret, NULL);
		p->tuple.direction = dir;
	}

	if (is_tracked(p)) {
		/* Established: this hook let the connection in before. A SYN is judged again: it starts a new
		 * connection that merely reuses the tuple, under today's policy. An echo request is not: pings
		 * with one identifier are one exchange. A reply entry answers replies only. */
		if (!looked_up || svc.hit)
			ct = ct_lookup_live(&p->tuple, cfg, now);
		if (ct && (ct->flags & HG_CT_REPLY)) {
			if (!is_new_request(p)) {
				if (!ct_source_ok(skb, dir, ct))
					return drop(skb, p, dir, DROP_INVALID_SIP, NULL);
				ct_touch(&p->tuple, ct, p, cfg, now);
				return reply(skb, p, dir, ct);
			}
		} else if (ct) {
			/* before a SYN may forget the connection: not one from a neighbour's interface */
			if (!ct_source_ok(skb, dir, ct))
				return drop(skb, p, dir, DROP_INVALID_SIP, NULL);
			if (!is_new_request(p) || p->tuple.protocol != HG_PROTO_TCP) {
				ct_touch(&p->tuple, ct, p, cfg, now);
				goto pass;
			}
			/* Forget the old connection, so that a denied SYN leaves nothing established behind. */
			ct_forget(&p->tuple);
		}
		/* A reply without its reply entry (not stored, or taken by a connection the other way): the other
		 * hook let the reversed tuple in. A reply entry found there is this tuple's own connection's,
		 * which is gone: the packet is judged anew; so is the answer to a connection recorded mid-stream. */
		if (!is_new_request(p)) {
			reply_key(&rev, &p->tuple);
			ct = ct_lookup_live(&rev, cfg, now);
			if (ct && !(ct->flags & (HG_CT_REPLY | HG_CT_MIDSTREAM))) {
				if (!ct_source_ok(skb, dir, ct))
					return drop(skb, p, dir, DROP_INVALID_SIP, NULL);
				ct_touch(&rev, ct, p, cfg, now);
				return reply(skb, p, dir, ct);
			}
		}
	}

	/* A new connection: judge it. */
	ek.addr = dir == HG_DIR_EGRESS ? p->tuple.saddr : p->tuple.daddr;
	ep = bpf_map_lookup_elem(&hg_endpoints, &ek);
	if (!ep)
		return drop(skb, p, dir, dir == HG_DIR_EGRESS ? DROP_INVALID_SIP : DROP_UNROUTABLE, NULL);
	if (dir == HG_DIR_EGRESS && !source_ok(skb, ep->ifindex))
		return drop(skb, p, dir, DROP_INVALID_SIP, NULL);
	if (is_icmp_error(p)) {
		ret = icmp_related(skb, p, dir, cfg, now);
		if (ret >= 0)
			return ret;
		/* Cilium lets "fragmentation needed" through always (allow-icmp-frag-needed): path MTU
		 * discovery. Only after the checks above: a pod cannot send it from a borrowed address. */
		if (p->icmp_type == ICMP_DEST_UNREACH && p->icmp_code == ICMP_FRAG_NEEDED)
			return forward(skb, dir);
	}
	remote = identity_of(dir == HG_DIR_EGRESS ? p->tuple.daddr : p->tuple.saddr);
	pol = policy_lookup(ep->id, remote, dir, p);

	j.endpoint = ep->id;
	j.src_identity = dir == HG_DIR_EGRESS ? ep->identity : remote;
	j.dst_identity = dir == HG_DIR_EGRESS ? remote : ep->identity;
	j.orig_daddr = svc.frontend_addr;
	j.orig_dport = svc.frontend_port;
	verdict = pol ? pol->verdict : HG_VERDICT_NONE;
	if (pol) {
		j.rule_id = pol->rule_id;
		j.match_type = pol->match_type;
	}
	switch (verdict) {
	case HG_VERDICT_ALLOW:
		break;
	case HG_VERDICT_DENY:
		j.action = HG_ACTION_DENY;
		return drop(skb, p, dir, DROP_POLICY_DENY, &j);
	case HG_VERDICT_REDIRECT:
		/* No proxy yet: an L7 connection is refused rather than let through unfiltered. */
		j.action = HG_ACTION_REDIRECT;
		return drop(skb, p, dir, DROP_PROXY_UNSUPPORTED, &j);
	default:
		j.action = HG_ACTION_DENY;
		j.match_type = HG_MATCH_NONE;
		j.rule_id = 0;
		return drop(skb, p, dir, DROP_POLICY, &j);
	}

	if (is_tracked(p) && !(cfg->flags & HG_CONFIG_NO_CT_CREATE)) {
		entry.endpoint = ep->id;
		entry.rule_id = j.rule_id;
		entry.ifindex = ep->ifindex;
		entry.peer_identity = remote;
		entry.generation = cfg->generation;
		entry.flags = ct_flags_after(p, 0);
		/* A TCP packet without SYN records its own direction only: after a connection is cut, the
		 * server's retransmissions pass if its egress allows them, but leave nothing that would let the
		 * cut client's packets back in as replies. */
		if (p->tuple.protocol == HG_PROTO_TCP && !(p->tcp_flags & TCP_FLAG_SYN))
			entry.flags |= HG_CT_MIDSTREAM;
		entry.expires = ct_expiry(cfg, p->tuple.protocol, entry.flags, now);
		entry.renew = ct_renew(cfg, entry.expires, now);
		if (svc.hit) {
			entry.flags |= HG_CT_NAT;
			entry.nat_addr = svc.frontend_addr;
			entry.nat_port = svc.frontend_port;
		}
		if (ct_record(&p->tuple, &entry, cfg, now))
			return drop(skb, p, dir, DROP_CT_CREATE_FAILED, &j);
		if (svc.record) {
			struct hg_ct_key fk = p->tuple;
			struct hg_ct_value sv = {
				.endpoint = ep->id,
				.nat_addr = svc.backend.addr,
				.nat_port = svc.backend.port,
				.flags = HG_CT_NAT | (entry.flags & (HG_CT_SEEN_NON_SYN | HG_CT_CLOSING)),
				.peer_identity = remote,
				.expires = entry.expires,
				.renew = entry.renew,
				.generation = cfg->generation,
				.ifindex = ep->ifindex,
			};

			fk.daddr = svc.frontend_addr;
			fk.dport = svc.frontend_port;
			fk.direction = HG_DIR_SERVICE;
			if (bpf_map_update_elem(&hg_ct, &fk, &sv, BPF_ANY))
				return drop(skb, p, dir, DROP_CT_CREATE_FAILED, &j);
		}
	}
	emit(skb, p, HG_EVENT_POLICY_VERDICT, dir, HG_FORWARDED, &j);

pass:
	if (svc.hit &&
	    rewrite(skb, p, false, svc.frontend_addr, svc.frontend_port, svc.backend.addr, svc.backend.port))
		return drop(skb, p, dir, DROP_INVALID, NULL);
	return forward(skb, dir);
}

/* ---------------------------------------------------------------------------------- fragments */

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

static __always_inline int handle(struct __sk_buff *skb, __u32 dir)
{
	struct hg_pkt p = {};
	struct hg_frag_key fk;
	struct hg_frag_value fv;
	bool first;
	int ret = parse(skb, &p);

	if (ret == HG_PARSE_PASS) {
		skb->cb[0] = HG_FORWARDED;
		return TC_ACT_OK;
	}
	if (ret < 0)
		return drop(skb, &p, dir, -ret, NULL);
	if (p.frag == HG_FRAG_LATER) {
		ret = later_fragment(&p);
		if (ret < 0)
			return drop(skb, &p, dir, -ret, NULL);
	}
	first = p.frag == HG_FRAG_FIRST && has_ports(p.tuple.protocol);
	if (first) {
		/* as the packet arrived: its later fragments arrive so, and are translated as it is */
		frag_key(&fk, &p);
		fv.sport = p.tuple.sport;
		fv.dport = p.tuple.dport;
	}
	ret = handle_ipv4(skb, &p, dir);
	if (first && skb->cb[0] == HG_FORWARDED)
		bpf_map_update_elem(&hg_frags, &fk, &fv, BPF_ANY);
	return ret;
}

/* Packets the pod sends: service translation, then the pod's egress policy. */
SEC("tc")
int from_pod(struct __sk_buff *skb)
{
	return handle(skb, HG_DIR_EGRESS);
}

/* Packets delivered to the pod: its ingress policy, reverse translation of replies. */
SEC("tc")
int to_pod(struct __sk_buff *skb)
{
	return handle(skb, HG_DIR_INGRESS);
}

/*
 * The node's uplink: every packet for a pod still meets that pod's to_pod, so only count here, and drop
 * what claims to come from a pod of this node: those never arrive from outside (the source identity is
 * the packet's, so a spoofed one would be judged as that pod).
 */
SEC("tc")
int from_netdev(struct __sk_buff *skb)
{
	struct hg_pkt p = {};
	struct hg_endpoint_key ek;

	parse(skb, &p); /* only the addresses (set once the IPv4 header is sound) and the event's ports */
	ek.addr = p.tuple.saddr;
	if (ek.addr && bpf_map_lookup_elem(&hg_endpoints, &ek))
		return drop(skb, &p, HG_DIR_NETDEV, DROP_INVALID_SIP, NULL);
	count(skb, HG_FORWARDED, HG_DIR_NETDEV);
	skb->cb[0] = HG_FORWARDED;
	return TC_ACT_OK;
}

/*
 * The agent's clock: the jiffies CT expiries are written in, which no clock_gettime clock shows, read as
 * handle_ipv4 reads them; run with BPF_PROG_TEST_RUN (io.hexgate.datapath.bpf.JiffiesClock), it leaves the
 * low half in skb->cb[0] and the high half in cb[1]. Never attached.
 */
SEC("tc")
int jiffies(struct __sk_buff *skb)
{
	__u64 now = bpf_jiffies64();

	skb->cb[0] = (__u32)now;
	skb->cb[1] = (__u32)(now >> 32);
	return TC_ACT_OK;
}

/* The benchmarks' reference point: the cost of running any tc program at all. */
SEC("tc")
int empty(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

/*
 * A pod interface whose endpoint has no policy in force yet (created before its policy was known, while
 * the agent is disconnected, or after a rejected revision) carries these instead of from_pod / to_pod, as
 * Cilium's new endpoints drop until their policy is computed: every IPv4 packet and anything else is
 * dropped (203) with a drop event, so it shows as a flow. ARP passes, as in from_pod / to_pod: the node
 * answers it (proxy ARP) and it carries nothing to another pod, so the pod can send at once when its
 * policy arrives. The agent pins both; the CNI attaches them before the interface comes up, and the
 * agent swaps them for from_pod / to_pod under the same handle and priority (datapath/DESIGN.md).
 */
static __always_inline int not_ready(struct __sk_buff *skb, __u32 dir)
{
	struct hg_pkt p = {};

	if (parse(skb, &p) == HG_PARSE_PASS) {
		skb->cb[0] = HG_FORWARDED;
		return TC_ACT_OK;
	}
	return drop(skb, &p, dir, DROP_EP_NOT_READY, NULL);
}

SEC("tc")
int not_ready_from_pod(struct __sk_buff *skb)
{
	return not_ready(skb, HG_DIR_EGRESS);
}

SEC("tc")
int not_ready_to_pod(struct __sk_buff *skb)
{
	return not_ready(skb, HG_DIR_INGRESS);
}

/*
 * The benchmarks' yardstick for the established path: what any stateful filter does for a packet of a
 * known connection (parse it, find the connection with one hash lookup, count it) and nothing else.
 */
SEC("tc")
int one_lookup(struct __sk_buff *skb)
{
	struct hg_pkt p = {};

	if (parse(skb, &p) != HG_PARSE_IPV4)
		return TC_ACT_SHOT;
	p.tuple.direction = HG_DIR_INGRESS;
	if (!bpf_map_lookup_elem(&hg_ct, &p.tuple))
		return TC_ACT_SHOT;
	return forward(skb, HG_DIR_INGRESS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
