/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What every verdict leaves behind: the hg_metrics counters, ring-buffer events, skb->cb[0]. */
#ifndef HEXGATE_LIB_EVENTS_H
#define HEXGATE_LIB_EVENTS_H

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "abi.h"
#include "maps.h"
#include "parse.h"

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
	e->tcp_flags = p->tcp_flags;
	e->icmp_type = p->icmp_type;
	e->icmp_code = p->icmp_code;
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

static __always_inline int drop(struct __sk_buff *skb, const struct hg_pkt *p, __u32 dir, __u32 reason,
				const struct hg_judgement *j)
{
	count(skb, reason, dir);
	emit(skb, p, j ? HG_EVENT_POLICY_VERDICT : HG_EVENT_DROP, dir, reason, j);
	skb->cb[0] = reason;
	return TC_ACT_SHOT;
}

#endif /* HEXGATE_LIB_EVENTS_H */
