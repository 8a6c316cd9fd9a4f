/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* nm_auth_gate: where this node's auth gate listens (one entry), written by
 * the auth agent once its gate is listening. Port 0: no gate, and an
 * auth-required connect without an entry is refused at connect() (EPERM),
 * never let through. Keep struct nm_auth_gate in sync with AUTH_GATE in
 * bpf/sockmap/src/auth-structs.ts. */
#ifndef NM_AUTH_GATE_MAP_H
#define NM_AUTH_GATE_MAP_H

struct nm_auth_gate {
	__u32 addr4; /* network order */
	__u16 port;  /* host order; 0 = no gate */
	__u8 flags;  /* reserved, 0 */
	__u8 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nm_auth_gate);
} nm_auth_gate SEC(".maps");

#endif
