/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* nm_excl_ports and nm_excl_cidrs: destinations never redirected even when
 * they are mesh services (operator escape hatch). Keep struct nm_cidr4_key
 * in sync with CIDR4_KEY in bpf/sockmap/src/structs.ts. */
#ifndef NM_EXCLUDED_MAPS_H
#define NM_EXCLUDED_MAPS_H

struct nm_cidr4_key {
	__u32 prefixlen;
	__u32 addr; /* network order */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u16); /* destination port, host order */
	__type(value, __u8);
} nm_excl_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct nm_cidr4_key);
	__type(value, __u8);
} nm_excl_cidrs SEC(".maps");

#endif
