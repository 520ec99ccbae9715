/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The binary layout of every Hexgate map key, value and event, and every constant Java also sees: the
 * contract between the BPF programs, the agent and the Java twin. This file is the source of truth; the
 * package io.hexgate.datapath.abi mirrors it, and tests hold the mirror to it (AbiLayoutTest compares
 * sizes and offsets with the BTF of abi_layout.o, AbiConstantsTest the drop reasons and
 * other constants with this text).
 *
 * Byte order: addresses and ports are in network order everywhere (as in the packet, so the programs
 * never convert on the fast path; the LPM trie hg_ipcache compares its address from the first byte).
 * Identifiers are in host order.
 */
#ifndef HEXGATE_LIB_ABI_H
#define HEXGATE_LIB_ABI_H

#include <linux/types.h>

/* Directions, as Cilium numbers them in policy-verdict events (ingress 1, egress 2). */
#define HG_DIR_INGRESS 1
#define HG_DIR_EGRESS 2
/* CT entries recording which backend a service connection uses, keyed by the frontend tuple. */
#define HG_DIR_SERVICE 3
/* Counter slot of from_netdev (metrics only). */
#define HG_DIR_NETDEV 3

/* Drop reasons: Cilium's numbers (reference cilium-policy.md §7.1). 0 means forwarded. */
#define HG_FORWARDED 0
#define DROP_INVALID_SIP 132         /* from_pod: not from the interface of the source's endpoint or
                                      * connection; from_netdev: a local pod's address from outside */
#define DROP_POLICY 133              /* no policy entry matched */
#define DROP_INVALID 134             /* truncated or malformed header */
#define DROP_UNKNOWN_L3 139          /* neither IPv4 nor ARP */
#define DROP_UNROUTABLE 151          /* to_pod: destination is not a known endpoint */
#define DROP_CT_CREATE_FAILED 155    /* the CT map refused the new entry */
#define DROP_FRAG_NOT_SUPPORTED 157  /* a later IPv4 fragment whose first fragment was not forwarded */
#define DROP_NO_SERVICE 158          /* service frontend without backends */
#define DROP_PROXY_LOOKUP_FAILED 178 /* L7 redirect: no proxy listener in hg_proxy_sockets */
#define DROP_PROXY_ASSIGN_FAILED 179 /* L7 redirect: bpf_sk_assign refused the listener */
#define DROP_PROXY_UNSUPPORTED 180   /* L7 redirect of a protocol the proxy does not take (not TCP) */
#define DROP_POLICY_DENY 181         /* a deny entry matched */
#define DROP_EP_NOT_READY 203        /* not_ready: the interface's endpoint has no policy in force yet */

/* Protocol numbers as they appear in policy keys; every other IP protocol is looked up as 0. */
#define HG_PROTO_OTHER 0
#define HG_PROTO_ICMP 1
#define HG_PROTO_TCP 6
#define HG_PROTO_UDP 17
#define HG_PROTO_SCTP 132

/*
 * The identity of an address: hg_ipcache_host (HASH) holds the /32 entries (pod addresses: most of them),
 * hg_ipcache (LPM_TRIE) the shorter prefixes. A /32 is the longest prefix there is, so a host hit is the
 * longest-prefix answer; an exact-match lookup costs the same however many pods there are, where the
 * trie's depth grows with its size. No match in either is world (2).
 */
struct hg_ipcache_host_key {
	__u32 addr; /* network order */
};

struct hg_ipcache_key {
	__u32 prefixlen; /* 0..32 */
	__u32 addr;      /* network order */
};

struct hg_ipcache_value {
	__u32 identity;
};

#define HG_IDENTITY_WORLD 2

/* hg_endpoints (HASH): the pods of this node, by address. */
struct hg_endpoint_key {
	__u32 addr; /* network order */
};

#define HG_EP_INGRESS_ENFORCING 1
#define HG_EP_EGRESS_ENFORCING 2

struct hg_endpoint_value {
	__u32 id;       /* endpoint id, >= 1, the first field of its policy keys */
	__u32 identity; /* the pod's security identity */
	__u32 flags;    /* HG_EP_*: for the agent and inspection; the rule maps already say it */
	__u32 ifindex;  /* the pod's host-side interface in the node's namespace; 0 = unknown, matches nothing */
};

/*
 * hg_policy (HASH): per (endpoint, remote identity, direction) a table of protocol and port intervals,
 * stored so that every lookup is an exact-match hash lookup and costs the same however many entries the
 * node has (an LPM trie's depth grows with its size). Three kinds of entries, told apart by `prefix`:
 *   HG_POLICY_TABLE  (protocol 0, port 0) the identity has its own table; its verdict applies to every
 *                    protocol without a PROTO entry (NONE = no match, or the one verdict of a uniform table)
 *   HG_POLICY_PROTO  (port 0) one protocol of the table: `prefixes` has bit L set when port blocks of L
 *                    bits exist; its verdict applies to ports no block covers
 *   0..16            a block of ports: the top `prefix` bits of `port` (big-endian, masked)
 * The blocks of one protocol are disjoint, so the first hit, longest prefix first, is the answer.
 */
struct hg_policy_key {
	__u32 endpoint;
	__u32 identity; /* 0 = the table of every identity without its own */
	__u8 direction; /* HG_DIR_INGRESS / HG_DIR_EGRESS */
	__u8 protocol;  /* HG_PROTO_* */
	__u8 prefix;    /* HG_POLICY_TABLE, HG_POLICY_PROTO, or port prefix bits 1..16 */
	__u8 pad;
	__u16 port;     /* network order, masked to `prefix` bits */
	__u16 pad2;
};

#define HG_POLICY_TABLE 255
#define HG_POLICY_PROTO 254

#define HG_VERDICT_NONE 0
#define HG_VERDICT_ALLOW 1
#define HG_VERDICT_DENY 2
#define HG_VERDICT_REDIRECT 3

/* Cilium's policy match types (cilium-policy.md §7.3), carried into policy-verdict events. */
#define HG_MATCH_NONE 0
#define HG_MATCH_L3_ONLY 1
#define HG_MATCH_L3_L4 2
#define HG_MATCH_L4_ONLY 3
#define HG_MATCH_ALL 4
#define HG_MATCH_L3_PROTO 5
#define HG_MATCH_PROTO_ONLY 6

struct hg_policy_value {
	__u8 verdict;    /* HG_VERDICT_* */
	__u8 match_type; /* HG_MATCH_* */
	__u16 pad;
	__u32 rule_id;   /* the agent's id of the winning entry's policies; 0 = no match */
	__u32 prefixes;  /* HG_POLICY_PROTO entries: bit L = blocks of L port bits exist (L = 1..16) */
};

/* hg_services (HASH): ClusterIP frontends. */
struct hg_service_key {
	__u32 addr;  /* network order */
	__u16 port;  /* network order */
	__u8 protocol;
	__u8 pad;
};

struct hg_service_value {
	__u32 count;      /* backends in slots 0..count-1; 0 drops new connections (158) */
	__u32 service_id; /* >= 1 */
};

/* hg_backends (HASH) */
struct hg_backend_key {
	__u32 service_id;
	__u32 slot;
};

struct hg_backend_value {
	__u32 addr; /* network order */
	__u16 port; /* network order */
	__u16 pad;
};

/*
 * hg_ct (HASH, preallocated: a full map refuses new connections, 155, and never evicts a live one). The
 * tuple as the judging hook saw it (after service translation) and the hook's direction. The pod's own
 * address is part of the tuple (source in egress, destination in ingress), so the key names the endpoint
 * without an endpoint lookup on the established path.
 * ICMP echo: request sport = identifier, dport = 0; reply sport = 0, dport = identifier, so that a
 * reply's reversed tuple is its request's.
 * HG_DIR_SERVICE entries are keyed by the frontend tuple (before translation) and hold the backend.
 * Each connection has a second entry, its reply entry (HG_CT_REPLY): the reversed tuple under the other
 * hook's direction, with the same values, so that a reply costs one lookup as a request does. It passes
 * replies only, never a new request; the pod address rule above holds for it, and it dies with its
 * connection (datapath/DESIGN.md, connection tracking).
 * Every entry carries its expiry (in jiffies, bpf_jiffies64; hg_config.hz of them make a second) and the policy
 * generation (hg_config) it was last judged at; an expired entry is absent, one of an older generation is
 * judged again before it passes anything.
 */
struct hg_ct_key {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u8 protocol;
	__u8 direction;
	__u16 pad;
};

#define HG_CT_NAT 1   /* nat_addr/nat_port are set */
#define HG_CT_REPLY 2 /* the reply entry of the connection under the reversed tuple */
#define HG_CT_LOCAL 4 /* the pod that receives the packets this entry passes is on this node (from_pod may
                       * hand them to it past the node's stack: HG_SETTING_HOST_ROUTING) */
#define HG_CT_SEEN_NON_SYN 8 /* TCP: a packet without SYN passed this entry; until then it lives for the
                              * SYN timeout */
#define HG_CT_CLOSING 16     /* TCP: a FIN or RST passed this entry: it lives for the closing lifetime */
#define HG_CT_MIDSTREAM 32   /* TCP: recorded by a packet without SYN: it has no reply entry, and the
                              * reversed lookup ignores it (it passes only its own direction) */
#define HG_CT_PROXY 64       /* TCP: the connection goes through the node's L7 proxy (its policy entry is
                              * REDIRECT): the pod's packets are delivered to the proxy's sockets */

struct hg_ct_value {
	__u32 endpoint; /* endpoint id that judged the connection */
	__u32 rule_id;
	__u32 nat_addr; /* connection: the frontend to restore on replies; service: the backend */
	__u16 nat_port;
	__u16 flags;    /* HG_CT_* */
	__u32 ifindex;  /* the local pod's host-side interface (the judged endpoint's), for from_pod to tell the
	                 * pod's own packets from a neighbour's that borrow its tuple; 0 matches nothing */
	__u32 peer_identity; /* the identity of the connection's peer address when it was judged */
	__u64 expires;  /* jiffies (bpf_jiffies64); at or after it the entry is absent */
	__u32 generation; /* hg_config.generation the connection was last judged at */
	__u32 renew;    /* jiffies: the lifetime the entry was last given, less a second (at most 2^32 - 1). A
	                 * packet writes the entry again only when its state flags change or now + renew reaches
	                 * its expiry: when a second has passed since it was written */
};

/* hg_ct_counts (HASH): connections recorded per endpoint id, against hg_config.ct_quota. The program
 * counts up when it records a connection; the agent's conntrack GC recounts them exactly. */
struct hg_ct_count {
	__u32 connections;
};

/* hg_metrics (PERCPU_ARRAY), index = reason * 4 + direction (HG_DIR_*; reason 0 = forwarded). */
#define HG_METRICS_SLOTS (256 * 4)

struct hg_metrics_value {
	__u64 packets;
	__u64 bytes;
};

/*
 * hg_frags (LRU_HASH): the ports of fragmented datagrams whose first fragment (MF set, offset 0) was
 * forwarded, by the packet's addresses (before translation), IP id and protocol, as Cilium's
 * IPV4_FRAG_DATAGRAMS_MAP. Later fragments carry no L4 header and take these ports (TCP, UDP, SCTP).
 */
struct hg_frag_key {
	__u32 saddr; /* network order */
	__u32 daddr;
	__u16 id;    /* network order */
	__u8 protocol;
	__u8 pad;
};

struct hg_frag_value {
	__u16 sport; /* network order */
	__u16 dport;
};

/*
 * The L7 proxy (datapath/DESIGN.md, "L7 redirect to the proxy"). skb->mark values under HG_MARK_MASK, with
 * Cilium's numbers. A pod cannot set them: crossing the veth into the node's namespace scrubs the mark.
 *   HG_MARK_TO_PROXY            set by the programs on a packet for a local proxy socket; the agent's
 *                               policy route (fwmark 0x200/0xf00 lookup 2004: local 0.0.0.0/0 dev lo)
 *                               delivers it locally whatever its destination address
 *   HG_MARK_FROM_INGRESS_PROXY  SO_MARK of the proxy's sockets of connections the destination's ingress
 *                               policy redirected (listener and upstream)
 *   HG_MARK_FROM_EGRESS_PROXY   the same for connections the source's egress policy redirected
 * hg_proxy_sockets (SOCKMAP, u32 slot -> listening socket): HG_PROXY_SLOT_INGRESS / _EGRESS, written by the
 * agent with the listeners' fds; a closed socket leaves the map by itself.
 */
#define HG_MARK_MASK 0x0F00
#define HG_MARK_TO_PROXY 0x0200
#define HG_MARK_FROM_INGRESS_PROXY 0x0A00
#define HG_MARK_FROM_EGRESS_PROXY 0x0B00
#define HG_PROXY_SLOT_INGRESS 0
#define HG_PROXY_SLOT_EGRESS 1
/* to_pod hands packets for the ingress proxy to lo's ingress (tc egress cannot bpf_sk_assign) */
#define HG_LOOPBACK_IFINDEX 1

/* hg_lost (PERCPU_ARRAY, one u64): events the ring buffer had no room for. */

/* hg_config (a global variable of its own section, lib/maps.h: to the agent a one-element ARRAY) */
/* Benchmarks only: judge new connections without recording them. A map flag, not a load-time setting:
 * the benchmark switches it between runs of one loaded object. */
#define HG_CONFIG_NO_CT_CREATE 1

/* Cilium's conntrack lifetimes (cilium-policy.md §7.4), in seconds; a 0 in hg_config means these. */
#define HG_CT_LIFETIME_TCP 8000
#define HG_CT_LIFETIME_SYN 60
#define HG_CT_LIFETIME_CLOSE 10
#define HG_CT_LIFETIME_OTHER 60
#define HG_CT_LIFETIME_ICMP 60

/* Jiffies per second while hg_config.hz is 0 (not written yet): the slowest CONFIG_HZ x86 offers, so that
 * lifetimes are never longer than configured (on a kernel of HZ 1000 a tenth as long until the agent writes
 * hz). */
#define HG_HZ_FALLBACK 100

struct hg_config {
	__u32 flags;
	/* Bumped by the agent after a revision that changes policy, identities or endpoints: CT entries of
	 * an older generation are judged again when they are next used (and by the agent's GC when idle). */
	__u32 generation;
	__u32 ct_quota; /* connections one endpoint may have recorded at once; 0 = no limit */
	/* CT lifetimes in seconds, 0 = the HG_CT_LIFETIME_* default */
	__u32 lifetime_tcp;   /* established TCP */
	__u32 lifetime_syn;   /* TCP entries that have seen only SYNs */
	__u32 lifetime_close; /* TCP after a FIN or RST */
	__u32 lifetime_other; /* UDP, SCTP and other protocols */
	__u32 lifetime_icmp;  /* ICMP echo */
	__u32 hz; /* the kernel's HZ, jiffies per second (CT times are jiffies), probed by the agent; 0 =
	           * HG_HZ_FALLBACK */
};

/*
 * Load-time settings: the .rodata global hg_settings (const volatile, hexgate_lxc.c), written by the agent
 * before it loads the object (bpf_map__set_initial_value) and constant once loaded, so a packet pays no map
 * lookup for them and the verifier prunes the code they switch off. What changes while the programs run
 * (the policy generation) stays in hg_config.
 */
/* from_pod hands established packets for a pod of this node to that pod's host-side interface, past the
 * node's IP stack; the pod's to_pod judges them there (datapath/DESIGN.md, host routing). Set by the agent;
 * off in BPF_PROG_TEST_RUN comparisons with the Java twin, which does not route. */
#define HG_SETTING_HOST_ROUTING 1

struct hg_settings {
	__u32 flags; /* HG_SETTING_* */
};

/* hg_events (RINGBUF) records */
#define HG_EVENT_POLICY_VERDICT 1 /* a new connection was judged; a denied one was also dropped */
#define HG_EVENT_DROP 2           /* a packet dropped for a reason other than policy */

#define HG_ACTION_ALLOW 0
#define HG_ACTION_DENY 1
#define HG_ACTION_REDIRECT 2

struct hg_event {
	__u64 time_ns;   /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u8 type;       /* HG_EVENT_* */
	__u8 direction;  /* HG_DIR_* */
	__u8 action;     /* HG_ACTION_* (policy verdicts) */
	__u8 match_type; /* HG_MATCH_* (policy verdicts) */
	__u16 reason;    /* 0 forwarded, else the drop reason */
	__u8 protocol;   /* IP protocol byte of the packet */
	__u8 tcp_flags;  /* TCP: the flags byte (0 for later fragments) */
	__u32 endpoint;  /* 0 when unknown */
	__u32 src_identity;
	__u32 dst_identity;
	__u32 saddr;     /* network order, after service translation */
	__u32 daddr;
	__u16 sport;     /* network order; ICMP: see hg_ct_key */
	__u16 dport;
	__u32 rule_id;
	__u32 orig_daddr; /* the service frontend before translation, 0 when none */
	__u16 orig_dport;
	__u8 icmp_type;  /* ICMP: type and code of the message */
	__u8 icmp_code;
	__u32 length;    /* skb->len */
};

#endif /* HEXGATE_LIB_ABI_H */
