// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The tc program on the node's uplink (datapath/DESIGN.md). */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "lib/abi.h"
#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/events.h"

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
