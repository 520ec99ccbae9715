// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Programs never attached to traffic: the agent's jiffies clock and the benchmarks' reference points,
 * run with BPF_PROG_TEST_RUN.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "lib/abi.h"
#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/events.h"

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
