/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* nm_auth_required: (local identity, local TCP port) → mode, synced from
 * model.authPolicies by the bpf agent. A port 0 entry stands for every port
 * of the identity. Keep both structs in sync with AUTH_REQUIRED_KEY /
 * AUTH_REQUIRED_VALUE in bpf/sockmap/src/auth-structs.ts. */
#ifndef NM_AUTH_REQUIRED_MAP_H
#define NM_AUTH_REQUIRED_MAP_H

enum nm_auth_mode {
	NM_AUTH_MODE_NONE = 0,
	NM_AUTH_MODE_REQUIRED = 1,
};

struct nm_auth_required_key {
	__u32 identity_id; /* nm_identities id of the local workload */
	__u16 port;        /* host order; 0 = every port */
	__u16 pad;
};

struct nm_auth_required_value {
	__u8 mode; /* enum nm_auth_mode */
	__u8 pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, struct nm_auth_required_key);
	__type(value, struct nm_auth_required_value);
} nm_auth_required SEC(".maps");

#endif
