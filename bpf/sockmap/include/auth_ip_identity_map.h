/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* nm_ip_identity: workload IPv4 address → its identity and node (the
 * ipcache). Written by the agent from the mesh model; read by
 * nm_auth_ingress for both ends of a packet. Keep struct nm_ip_identity in
 * sync with IP_IDENTITY in bpf/sockmap/src/auth-structs.ts. */
#ifndef NM_AUTH_IP_IDENTITY_MAP_H
#define NM_AUTH_IP_IDENTITY_MAP_H

struct nm_ip_identity {
	__u32 identity_id; /* nm_identities id */
	__u16 node_id;     /* nm_nodes id of the node the address lives on */
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, __u32); /* IPv4 address, network order */
	__type(value, struct nm_ip_identity);
} nm_ip_identity SEC(".maps");

#endif
