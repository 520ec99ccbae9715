// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Never loaded: one global of every lib/abi.h struct, so that each struct's BTF reaches abi_layout.o even
 * when no program uses it yet. AbiLayoutTest reads that BTF and holds the Java mirrors
 * (io.hexgate.datapath.abi) to it: size and the offset of every field (as Cilium's bpf_alignchecker.c).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "lib/abi.h"

#define ABI_STRUCT(name) struct name abi_##name __attribute__((used));

ABI_STRUCT(hg_ipcache_host_key)
ABI_STRUCT(hg_ipcache_key)
ABI_STRUCT(hg_ipcache_value)
ABI_STRUCT(hg_endpoint_key)
ABI_STRUCT(hg_endpoint_value)
ABI_STRUCT(hg_policy_key)
ABI_STRUCT(hg_policy_value)
ABI_STRUCT(hg_service_key)
ABI_STRUCT(hg_service_value)
ABI_STRUCT(hg_backend_key)
ABI_STRUCT(hg_backend_value)
ABI_STRUCT(hg_ct_key)
ABI_STRUCT(hg_ct_value)
ABI_STRUCT(hg_ct_count)
ABI_STRUCT(hg_metrics_value)
ABI_STRUCT(hg_frag_key)
ABI_STRUCT(hg_frag_value)
ABI_STRUCT(hg_config)
ABI_STRUCT(hg_settings)
ABI_STRUCT(hg_event)
