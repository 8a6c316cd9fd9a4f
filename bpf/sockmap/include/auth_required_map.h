/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* nm_auth_required: (local identity, local TCP port) → mode, synced from
 * model.authPolicies by the bpf agent. A port 0 entry stands for every port
 * of the identity. Where a port entry and the port 0 entry disagree, the
 * stronger mode applies (per-connection > required), as in the model; a
 * mode this object does not know counts as the strictest it does (fail
 * closed). Keep both structs in sync with AUTH_REQUIRED_KEY /
 * AUTH_REQUIRED_VALUE in bpf/sockmap/src/auth-structs.ts. */
#ifndef NM_AUTH_REQUIRED_MAP_H
#define NM_AUTH_REQUIRED_MAP_H

enum nm_auth_mode {
	NM_AUTH_MODE_NONE = 0,
	NM_AUTH_MODE_REQUIRED = 1,          /* per identity pair: nm_auth */
	NM_AUTH_MODE_PER_CONNECTION = 2,   /* per connection: nm_auth_conn, keyed by the 4-tuple */
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

static __always_inline __u8 nm_auth_known_mode(struct nm_auth_required_value *req)
{
	if (!req || req->mode == NM_AUTH_MODE_NONE)
		return NM_AUTH_MODE_NONE;
	return req->mode == NM_AUTH_MODE_REQUIRED ? NM_AUTH_MODE_REQUIRED : NM_AUTH_MODE_PER_CONNECTION;
}

/* The mode of (identity, port): the stronger of its own entry and port 0's. */
static __always_inline __u8 nm_auth_port_mode(__u32 identity_id, __u16 port)
{
	struct nm_auth_required_key rk = {};
	__u8 mode, any;

	rk.identity_id = identity_id;
	rk.port = port;
	mode = nm_auth_known_mode(bpf_map_lookup_elem(&nm_auth_required, &rk));
	rk.port = 0;
	any = nm_auth_known_mode(bpf_map_lookup_elem(&nm_auth_required, &rk));
	return any > mode ? any : mode;
}

#endif
