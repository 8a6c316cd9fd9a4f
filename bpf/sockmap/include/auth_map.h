/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* nm_auth: which identity pairs are authenticated with which node, until
 * when (issue #6). Written by the auth agent (AuthManager and AuthServer
 * through auth/src/authmap/bpf.ts); read by nm_auth_ingress. Keep both
 * structs in sync with AUTH_KEY / AUTH_INFO in bpf/sockmap/src/auth-structs.ts. */
#ifndef NM_AUTH_MAP_H
#define NM_AUTH_MAP_H

enum nm_auth_type {
	NM_AUTH_TYPE_NONE = 0,
	NM_AUTH_TYPE_SPIFFE_MTLS = 1,
};

struct nm_auth_key {
	__u32 local_id;    /* nm_identities id of the workload on this node */
	__u32 remote_id;   /* nm_identities id of the peer */
	__u16 remote_node; /* nm_nodes id of the peer's node */
	__u8 auth_type;    /* enum nm_auth_type */
	__u8 pad;
};

enum nm_auth_role {
	NM_AUTH_ROLE_INITIATOR = 1,
	NM_AUTH_ROLE_RESPONDER = 2,
};

struct nm_auth_info {
	/* The only member the programs read: CLOCK_BOOTTIME ns
	 * (bpf_ktime_get_boot_ns), not moved by wall-clock changes. */
	__u64 expires_boot_ns;
	/* The rest is for user space (status, flow logs), so the entry is whole
	 * from the pin alone, across agent restarts. Wall clock, ms since epoch. */
	__u64 expires_ms;
	__u64 authenticated_ms;
	__u8 role; /* enum nm_auth_role */
	__u8 pad[7];
	char local_serial[48];  /* leaf serials, lowercase hex, NUL padded */
	char remote_serial[48];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 524288);
	__type(key, struct nm_auth_key);
	__type(value, struct nm_auth_info);
} nm_auth SEC(".maps");

#endif
