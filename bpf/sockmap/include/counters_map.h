/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* nm_counters: per-CPU count of everything the programs do or refuse, one
 * slot per reason. Keep enum nm_counter in sync with COUNTERS in
 * bpf/sockmap/src/structs.ts (checked against the BTF by structs.test.ts);
 * append only, the agent and older objects share the pinned map. */
#ifndef NM_COUNTERS_MAP_H
#define NM_COUNTERS_MAP_H

enum nm_counter {
	NM_C_CONNECT_REDIRECTED = 0,
	NM_C_CONNECT_NOT_SERVICE,
	NM_C_CONNECT_NOT_MESH,
	NM_C_CONNECT_FROM_PROXY,
	NM_C_CONNECT_EXCLUDED_CGROUP,
	NM_C_CONNECT_EXCLUDED_PORT,
	NM_C_CONNECT_EXCLUDED_CIDR,
	NM_C_CONNECT_NOT_TCP,
	NM_C_CONNECT_NO_CONFIG,
	NM_C_CONNECT_ORIG_STORE_FAILED,
	NM_C_SOCKOPS_PAIR_STORED,
	NM_C_SOCKOPS_PAIR_STORE_FAILED,
	NM_C_SOCKOPS_SOCKHASH_ADDED,
	NM_C_SOCKOPS_SOCKHASH_FAILED,
	NM_C_SOCKOPS_SOCKMAP_OFF,
	NM_C_GETSOCKOPT_ANSWERED,
	NM_C_GETSOCKOPT_MISS,
	NM_C_GETSOCKOPT_SHORT_BUFFER,
	NM_C_MSG_REDIRECT_HIT,
	NM_C_MSG_REDIRECT_MISS,
	NM_C_CONNECT6_NOT_V4_MAPPED, /* native IPv6 destination: not steered (IPv4 capture listener) */
	NM_C_GETPEERNAME_ANSWERED, /* a redirected workload socket's peer reported as the service VIP:port */
	NM_C_AUTH_INGRESS_ALLOWED,        /* auth-required port, valid nm_auth entry: delivered */
	NM_C_AUTH_INGRESS_NOT_REQUIRED,   /* destination not an auth-required (identity, port): delivered */
	NM_C_AUTH_DROP_UNKNOWN_IDENTITY,  /* auth required, source address not in nm_ip_identity: dropped */
	NM_C_AUTH_DROP_NO_ENTRY,          /* auth required, no nm_auth entry for the pair: dropped */
	NM_C_AUTH_DROP_EXPIRED,           /* auth required, the entry expired: dropped */
	NM_C_AUTH_CONNECT_AUTHENTICATED,  /* connect to an auth-required port, valid entry: normal path */
	NM_C_AUTH_CONNECT_NOT_REQUIRED,   /* connect to a destination that requires nothing */
	NM_C_AUTH_CONNECT_HELD,           /* no valid entry: steered to the auth gate */
	NM_C_AUTH_CONNECT_NO_GATE,        /* no valid entry and no gate: refused (EPERM) */
	NM_C_AUTH_CONNECT_ORIG_STORE_FAILED, /* the original destination could not be kept: refused */
	NM_C_AUTH_CONNECT_HELD_PER_CONNECTION, /* per-connection port: always to the gate (also counted as auth_connect_held) */
	NM_C_AUTH_INGRESS_CONN_ALLOWED,   /* per-connection port, valid nm_auth_conn entry for the 4-tuple: delivered */
	NM_C_AUTH_DROP_NO_CONN_ENTRY,     /* per-connection port, no nm_auth_conn entry of these identities for the 4-tuple: dropped (a pair entry never counts) */
	NM_C_AUTH_DROP_CONN_EXPIRED,      /* per-connection port, the 4-tuple's entry expired: dropped */
	NM_C_AUTH_DROP_CONN_REUSED,       /* a new SYN on a 4-tuple whose entry is bound to an earlier connection: dropped */
	NM_C_AUTH_DROP_OUTSIDE_TUNNEL,    /* auth required, sender on another node, packet did not come out of nm_auth_tunnel's interface: dropped */
	NM_C_MAX = 64, /* map size: room to append reasons */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NM_C_MAX);
	__type(key, __u32);
	__type(value, __u64);
} nm_counters SEC(".maps");

/* Taking the enum keeps it in the object's BTF for the layout test. */
static __noinline __attribute__((unused)) void nm_count(enum nm_counter c)
{
	__u32 key = c;
	__u64 *v = bpf_map_lookup_elem(&nm_counters, &key);

	/* Per-CPU, yet atomic: programs may be preempted by others on the same CPU. */
	if (v)
		__sync_fetch_and_add(v, 1);
}

#endif
