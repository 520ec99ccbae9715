/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The maps of DESIGN.md. Sizes are the agent's limits; it reports pressure against max_entries.
 * Every attach-point file includes this header and bpftool gen object links them into one object: each map
 * is __weak, so the linker keeps one definition of it (it checks that the definitions agree) and every
 * program of the object uses that one map.
 */
#ifndef HEXGATE_MAPS_H
#define HEXGATE_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct hg_ipcache_key);
	__type(value, struct hg_ipcache_value);
	__uint(max_entries, 262144);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* required for LPM tries */
} hg_ipcache SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct hg_ipcache_host_key);
	__type(value, struct hg_ipcache_value);
	__uint(max_entries, 262144);
} hg_ipcache_host SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct hg_endpoint_key);
	__type(value, struct hg_endpoint_value);
	__uint(max_entries, 4096);
} hg_endpoints SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct hg_policy_key);
	__type(value, struct hg_policy_value);
	__uint(max_entries, 1048576);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* a million preallocated elements would pin ~100 MB */
} hg_policy SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct hg_service_key);
	__type(value, struct hg_service_value);
	__uint(max_entries, 65536);
} hg_services SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct hg_backend_key);
	__type(value, struct hg_backend_value);
	__uint(max_entries, 262144);
} hg_backends SEC(".maps") __weak;

/* Preallocated, not LRU: one pod's flood must not evict other pods' connections. The agent may set its size
 * before load (bpf_map__set_max_entries); expired entries go by its GC. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct hg_ct_key);
	__type(value, struct hg_ct_value);
	__uint(max_entries, 262144);
} hg_ct SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct hg_frag_key);
	__type(value, struct hg_frag_value);
	__uint(max_entries, 8192); /* Cilium's CILIUM_IPV4_FRAG_MAP_MAX_ENTRIES */
} hg_frags SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} hg_lost SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32); /* endpoint id */
	__type(value, struct hg_ct_count);
	__uint(max_entries, 16384);
} hg_ct_counts SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* 4 MiB: about 75,000 events of 56 bytes */
} hg_events SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct hg_metrics_value);
	__uint(max_entries, HG_METRICS_SLOTS);
} hg_metrics SEC(".maps") __weak;

/*
 * hg_config is a global variable, in a section of its own: libbpf makes the section a one-element ARRAY
 * (map .data.hg_config, which the agent pins, adopts and writes as hg_config), and the verifier turns the
 * programs' reads of it into loads from a fixed address, where an ARRAY map took a lookup per packet.
 * Defined once, in hexgate_lxc.c: the linker would give each object's weak definition its own bytes of
 * the section.
 */
extern struct hg_config hg_config;

/* The proxy's listening sockets by slot (HG_PROXY_SLOT_*), written by the agent: never migrated, a new proxy
 * registers its listeners again. */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2);
} hg_proxy_sockets SEC(".maps") __weak;

/* A SYN for the proxy that met a TIME_WAIT socket of its tuple (lib/proxy.h, proxy_tuple_taken): the tuple,
 * in network order, and the slot of the listener that proxy_reopen gives the stack's listener lookup. The
 * kernel's own: proxy_reopen deletes what it used, and the LRU the rest (a SYN whose reopen the TIME_WAIT
 * socket refused was answered as TCP does, and its retransmission finds the tuple free). */
struct hg_reopen_key {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
};
_Static_assert(sizeof(struct hg_reopen_key) == sizeof(((struct bpf_sock_tuple *)0)->ipv4),
	       "hg_reopen_key is passed to bpf_skc_lookup_tcp as a bpf_sock_tuple");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct hg_reopen_key);
	__type(value, __u32);
	__uint(max_entries, 4096);
} hg_proxy_reopen SEC(".maps") __weak;

#endif /* HEXGATE_MAPS_H */
