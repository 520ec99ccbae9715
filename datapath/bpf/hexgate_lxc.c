// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The tc programs on the host side of each pod's veth (datapath/DESIGN.md): from_pod on its ingress hook
 * (what the pod sends), to_pod on its egress hook (what is delivered to it), and not_ready_from_pod /
 * not_ready_to_pod while the pod has no policy in force. IPv4 only. The Java twin
 * (io.hexgate.datapath.twin.JavaDatapath) follows these steps one for one; change both together, the
 * differential test compares them packet by packet.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>

#include "lib/abi.h"
#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/events.h"
#include "lib/policy.h"
#include "lib/conntrack.h"
#include "lib/csum.h"
#include "lib/lb.h"
#include "lib/icmp.h"
#include "lib/proxy.h"

#define AF_INET 2 /* <sys/socket.h> is libc's, not the BPF target's */

/* lib/maps.h */
struct hg_config hg_config SEC(".data.hg_config") = {};

/* Set by the agent before load (BpfObject.setReadOnlyData); the verifier prunes what it turns off. */
const volatile struct hg_settings hg_settings = {};

/*
 * Forwards a packet of an established connection that does not go to the proxy. One for a pod of this node
 * does not take the node's IP stack (as with Cilium's host routing): it goes out of that pod's host-side
 * interface (bpf_redirect_neigh), where the pod's to_pod judges it as always. Anything the FIB does not
 * simply forward (local addresses, no route, too big) takes the IP stack. (Handing the packet straight into
 * the pod with bpf_redirect_peer skipped to_pod as well, but measured slower: the receiving socket then
 * often meets its owner's lock.)
 */
static __always_inline int route(struct __sk_buff *skb, const struct hg_pkt *p, __u32 dir,
				 const struct hg_ct_value *ct)
{
	struct bpf_fib_lookup fib = {};
	struct bpf_redir_neigh nh = {};

	if (dir != HG_DIR_EGRESS || !(ct->flags & HG_CT_LOCAL) || !(hg_settings.flags & HG_SETTING_HOST_ROUTING))
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

/* Forwards a packet of an established connection; a proxied connection's packets go to the proxy. */
static __always_inline int deliver(struct __sk_buff *skb, const struct hg_pkt *p, __u32 dir,
				   const struct hg_ct_value *ct)
{
	/* in to_pod a reply here belongs to the pod's own (egress) connection: its proxy is the egress one */
	if (ct->flags & HG_CT_PROXY)
		return proxy_deliver(skb, dir, HG_MARK_FROM_EGRESS_PROXY);
	return route(skb, p, dir, ct);
}

/*
 * A reply passes; the reply of a translated connection comes from the backend: show the frontend. A proxied
 * connection's replies go to the proxy untranslated (its upstream socket is connected to the backend),
 * except in to_pod those the egress proxy sends the pod as the server.
 */
static __always_inline int reply(struct __sk_buff *skb, const struct hg_pkt *p, __u32 dir,
				 const struct hg_ct_value *ct)
{
	if ((ct->flags & HG_CT_PROXY) && !(dir == HG_DIR_INGRESS && has_mark(skb, HG_MARK_FROM_EGRESS_PROXY)))
		return proxy_deliver(skb, dir, HG_MARK_FROM_EGRESS_PROXY);
	if ((ct->flags & HG_CT_NAT) &&
	    rewrite(skb, p, true, p->tuple.saddr, p->tuple.sport, ct->nat_addr, ct->nat_port))
		return drop(skb, p, dir, DROP_INVALID, NULL);
	return deliver(skb, p, dir, ct);
}


/* to_pod: sent by the ingress proxy, which judged this pod's ingress already (upstream of a redirect) */
static __always_inline bool sent_by_ingress_proxy(const struct __sk_buff *skb, const struct hg_pkt *p, __u32 dir)
{
	return dir == HG_DIR_INGRESS && p->tuple.protocol == HG_PROTO_TCP &&
	       has_mark(skb, HG_MARK_FROM_INGRESS_PROXY);
}

/* Steps shared by from_pod (egress of the pod) and to_pod (ingress of the pod). */
static __always_inline int handle_ipv4(struct __sk_buff *skb, struct hg_pkt *p, __u32 dir)
{
	struct hg_service_hit svc = {};
	struct hg_judgement j = {};
	struct hg_endpoint_key ek;
	struct hg_endpoint_value *ep;
	struct hg_policy_value *pol;
	struct hg_ct_value *ct = NULL;
	struct hg_ct_key rev;
	const struct hg_config *cfg = &hg_config;
	bool looked_up = false;
	bool from_ingress_proxy;
	/* HG_CT_PROXY when the connection goes through the proxy */
	__u16 proxy = 0;
	__u32 remote;
	__u64 now;
	__u8 verdict;
	int ret;

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
			/* the proxy's upstream SYN shares the tuple of the connection it serves */
			if (likely(!is_new_request(p)) || p->tuple.protocol != HG_PROTO_TCP ||
			    sent_by_ingress_proxy(skb, p, dir)) {
				ct_touch(&p->tuple, ct, p, cfg, now);
				proxy = ct->flags & HG_CT_PROXY;
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
	from_ingress_proxy = sent_by_ingress_proxy(skb, p, dir);
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
	pol = from_ingress_proxy ? NULL : policy_lookup(ep->id, remote, dir, p);

	j.endpoint = ep->id;
	j.src_identity = dir == HG_DIR_EGRESS ? ep->identity : remote;
	j.dst_identity = dir == HG_DIR_EGRESS ? remote : ep->identity;
	j.orig_daddr = svc.frontend_addr;
	j.orig_dport = svc.frontend_port;
	verdict = from_ingress_proxy ? HG_VERDICT_ALLOW : pol ? pol->verdict : HG_VERDICT_NONE;
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
		/* To the proxy, or refused rather than let through unfiltered. The egress listener takes the SYN
		 * here (tc ingress); to_pod's packets reach the ingress listener through lo's to_proxy. */
		j.action = HG_ACTION_REDIRECT;
		if (p->tuple.protocol != HG_PROTO_TCP)
			return drop(skb, p, dir, DROP_PROXY_UNSUPPORTED, &j);
		if (dir == HG_DIR_EGRESS && is_new_request(p))
			ret = proxy_assign(skb, p, HG_PROXY_SLOT_EGRESS);
		else
			ret = proxy_listening(dir == HG_DIR_EGRESS ? HG_PROXY_SLOT_EGRESS : HG_PROXY_SLOT_INGRESS) ?
				      0 : DROP_PROXY_LOOKUP_FAILED;
		if (ret)
			return drop(skb, p, dir, ret, &j);
		proxy = HG_CT_PROXY;
		break;
	default:
		j.action = HG_ACTION_DENY;
		j.match_type = HG_MATCH_NONE;
		j.rule_id = 0;
		return drop(skb, p, dir, DROP_POLICY, &j);
	}

	if (is_tracked(p) && !(cfg->flags & HG_CONFIG_NO_CT_CREATE)) {
		struct hg_ct_value entry = {};

		entry.endpoint = ep->id;
		entry.rule_id = j.rule_id;
		entry.ifindex = ep->ifindex;
		entry.peer_identity = remote;
		entry.generation = cfg->generation;
		entry.flags = ct_flags_after(p, proxy | (from_ingress_proxy ? HG_CT_PROXY : 0));
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
	/* the proxy's upstream was judged by the proxy: no second verdict */
	if (!from_ingress_proxy)
		emit(skb, p, HG_EVENT_POLICY_VERDICT, dir, HG_FORWARDED, &j);

pass:
	if (svc.hit &&
	    rewrite(skb, p, false, svc.frontend_addr, svc.frontend_port, svc.backend.addr, svc.backend.port))
		return drop(skb, p, dir, DROP_INVALID, NULL);
	/* in to_pod a connection of the pod's ingress: its proxy is the ingress one */
	if (proxy)
		return proxy_deliver(skb, dir, HG_MARK_FROM_INGRESS_PROXY);
	return forward(skb, dir);
}

/*
 * Most packets: a TCP segment without SYN, FIN or RST of a connection this hook let in, whose entry needs
 * no write and whose packets go on untranslated and not to the proxy. Its entry, or NULL for any other
 * packet, which handle_ipv4 judges as always; for this one handle_ipv4 would come to route() too, with
 * more instructions on the way (datapath/DESIGN.md, "The plain established packet").
 */
static __always_inline const struct hg_ct_value *plain_established(const struct __sk_buff *skb,
								    struct hg_pkt *p, __u32 dir)
{
	const struct hg_ct_value *v;

	if (p->tuple.protocol != HG_PROTO_TCP || p->frag != HG_FRAG_NONE ||
	    (p->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_FIN | TCP_FLAG_RST)))
		return NULL;
	p->tuple.direction = dir;
	v = bpf_map_lookup_elem(&hg_ct, &p->tuple);
	/* not yet to be renewed is also not expired; the same policy generation needs no judging again */
	if (v && bpf_jiffies64() + v->renew < v->expires && v->generation == hg_config.generation &&
	    (v->flags & (HG_CT_PROXY | HG_CT_NAT | HG_CT_SEEN_NON_SYN)) == HG_CT_SEEN_NON_SYN &&
	    ct_source_ok(skb, dir, v))
		return v;
	return NULL;
}

static __always_inline int handle(struct __sk_buff *skb, __u32 dir)
{
	struct hg_pkt p = {};
	struct hg_frag_key fk;
	struct hg_frag_value fv;
	bool first;
	const struct hg_ct_value *ct;
	int ret = parse(skb, &p);

	if (likely(ret == HG_PARSE_IPV4) && likely((ct = plain_established(skb, &p, dir)) != NULL))
		return route(skb, &p, dir, ct);
	if (unlikely(ret == HG_PARSE_PASS)) {
		skb->cb[0] = HG_FORWARDED;
		return TC_ACT_OK;
	}
	if (unlikely(ret < 0))
		return drop(skb, &p, dir, -ret, NULL);
	if (unlikely(p.frag == HG_FRAG_LATER)) {
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
	if (unlikely(first) && skb->cb[0] == HG_FORWARDED)
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

char LICENSE[] SEC("license") = "Dual BSD/GPL";
