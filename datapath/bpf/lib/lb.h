/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* ClusterIP service translation: frontend -> backend, kept per connection by a HG_DIR_SERVICE CT entry. */
#ifndef HEXGATE_LIB_LB_H
#define HEXGATE_LIB_LB_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>

#include "abi.h"
#include "maps.h"
#include "parse.h"
#include "conntrack.h"

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

#endif /* HEXGATE_LIB_LB_H */
