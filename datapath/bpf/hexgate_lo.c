// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The tc program on the node's loopback interface (datapath/DESIGN.md, "L7 redirect to the proxy"). */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_packet.h>
#include <bpf/bpf_helpers.h>

#include "lib/abi.h"
#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/events.h"
#include "lib/proxy.h"

/*
 * lo's ingress: where to_pod turns the packets of connections the destination's ingress policy redirected
 * (bpf_redirect with BPF_F_INGRESS, marked HG_MARK_TO_PROXY), since its own hook, tc egress, cannot
 * bpf_sk_assign. Such a packet still carries the pod's MAC, which makes it another host's on lo: it becomes
 * this host's, and a SYN goes to the ingress listener. Every other packet on lo is none of this program's
 * business and passes untouched; the marked ones were counted by to_pod.
 */
SEC("tc")
int to_proxy(struct __sk_buff *skb)
{
	struct hg_pkt p = {};
	__u32 reason;

	if (!has_mark(skb, HG_MARK_TO_PROXY))
		return TC_ACT_OK;
	if (parse(skb, &p) != 0)
		return TC_ACT_OK; /* to_pod parsed it: never */
	bpf_skb_change_type(skb, PACKET_HOST);
	if (p.tuple.protocol == HG_PROTO_TCP && is_new_request(&p)) {
		reason = proxy_assign(skb, &p, HG_PROXY_SLOT_INGRESS);
		if (reason)
			return drop(skb, &p, HG_DIR_INGRESS, reason, NULL);
	}
	skb->cb[0] = HG_FORWARDED;
	return TC_ACT_OK;
}
