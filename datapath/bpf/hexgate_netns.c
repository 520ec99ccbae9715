// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The sk_lookup program of the node's network namespace (datapath/DESIGN.md, "L7 redirect to the proxy"). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "lib/abi.h"
#include "lib/maps.h"

#define AF_INET 2
#define IPPROTO_TCP 6

/*
 * The stack's listener lookups in the node's namespace. Only a SYN that proxy_tuple_taken let meet a
 * TIME_WAIT socket is this program's: reopening the connection, that socket looks for a listener at the
 * original destination, which is the proxy's (the slot recorded for the tuple). With no proxy listening
 * there, the SYN finds no listener at all rather than one of the node's own on that port.
 */
SEC("sk_lookup")
int proxy_reopen(struct bpf_sk_lookup *ctx)
{
	struct hg_reopen_key k = {};
	struct bpf_sock *sk;
	__u32 *recorded;
	__u32 slot;
	long err;

	if (ctx->family != AF_INET || ctx->protocol != IPPROTO_TCP)
		return SK_PASS;
	k.saddr = ctx->remote_ip4;
	k.daddr = ctx->local_ip4;
	k.sport = ctx->remote_port;
	k.dport = bpf_htons(ctx->local_port);
	recorded = bpf_map_lookup_elem(&hg_proxy_reopen, &k);
	if (!recorded)
		return SK_PASS;
	slot = *recorded;
	bpf_map_delete_elem(&hg_proxy_reopen, &k);
	sk = bpf_map_lookup_elem(&hg_proxy_sockets, &slot);
	if (!sk)
		return SK_DROP;
	err = bpf_sk_assign(ctx, sk, 0);
	bpf_sk_release(sk);
	return err ? SK_DROP : SK_PASS;
}
