/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* nm_auth_conn: per-connection authentication (issue #6's per-connection
 * mode). One entry per authenticated TCP connection, keyed by its 4-tuple as
 * the RECEIVER sees it, written by the receiving node's auth service during
 * the handshake that named that tuple, before it answers ok; read by
 * nm_auth_ingress for ports whose nm_auth_required mode is per-connection.
 * An identity pair entry (nm_auth) never stands in for it.
 *
 * The tuple alone could be reused once the connection is gone (same source
 * port, before the entry expires), so the entry is bound to the first SYN
 * that uses it: its sequence number is kept in bound_syn, and a SYN with
 * another one (a new connection on an old tuple) is dropped; a retransmitted
 * SYN carries the same number and passes. LRU: entries of closed
 * connections make room for new ones. Keep both structs in sync with
 * AUTH_CONN_KEY / AUTH_CONN_INFO in bpf/sockmap/src/auth-structs.ts. */
#ifndef NM_AUTH_CONN_MAP_H
#define NM_AUTH_CONN_MAP_H

struct nm_auth_conn_key {
	__u32 saddr; /* the initiator's address, network order */
	__u32 daddr; /* the receiving workload's address, network order */
	__u16 sport; /* host order */
	__u16 dport; /* host order */
};

/* bound_syn: 0 until the connection's SYN arrived, then this flag with the
 * SYN's sequence number in the low 32 bits. */
#define NM_AUTH_CONN_BOUND (1ULL << 32)

struct nm_auth_conn_info {
	/* CLOCK_BOOTTIME ns, as nm_auth_info's. */
	__u64 expires_boot_ns;
	__u64 bound_syn;
	/* Who authenticated: checked against nm_ip_identity on every packet, so
	 * an address that changed hands does not inherit the entry. */
	__u32 local_id;
	__u32 remote_id;
	__u16 remote_node;
	__u8 auth_type; /* enum nm_auth_type */
	__u8 pad[5];
	/* For user space only (status, flow logs): wall clock, ms since epoch. */
	__u64 expires_ms;
	__u64 authenticated_ms;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 131072);
	__type(key, struct nm_auth_conn_key);
	__type(value, struct nm_auth_conn_info);
} nm_auth_conn SEC(".maps");

#endif
