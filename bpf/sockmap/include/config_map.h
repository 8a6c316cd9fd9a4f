/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* nm_config: one entry, written by the agent. Keep struct nm_config in sync
 * with CONFIG in bpf/sockmap/src/structs.ts. */
#ifndef NM_CONFIG_MAP_H
#define NM_CONFIG_MAP_H

struct nm_config {
	__u32 proxy_addr4; /* node proxy capture address, network order */
	__u16 proxy_port;  /* host order; 0 = not configured: nothing is redirected */
	__u8 sockmap;      /* 1: sockops puts local pairs in nm_sockhash */
	__u8 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nm_config);
} nm_config SEC(".maps");

static __always_inline struct nm_config *nm_get_config(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&nm_config, &zero);
}

#endif
