/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The initiating side of out-of-band authentication (issue #6): what a mesh
 * workload's connect() to daddr:dport does. Apart from the hook so that
 * test/ can run it with BPF_PROG_TEST_RUN (cgroup/connect4 cannot be
 * test-run).
 *
 * The destination's requirement is the receiver's own (nm_auth_required,
 * keyed by its identity and port), so both ends agree on which flows need
 * an entry. The local identity is the socket's bound source address: a
 * workload sharing its node's network namespace (the lab) is told apart by
 * it, and an unbound socket has no identity yet, so it goes to the gate,
 * which refuses it with a reason instead of letting the receiver time it out.
 *
 * A per-connection port (NM_AUTH_MODE_PER_CONNECTION) always goes to the
 * gate, whatever nm_auth holds: the receiver accepts it only with an entry
 * for its own 4-tuple, which only a handshake naming that tuple makes, and
 * only the gate knows the tuple before the SYN leaves. */
#ifndef NM_AUTH_CONNECT_DECISION_H
#define NM_AUTH_CONNECT_DECISION_H

#include "common.h"
#include "counters_map.h"
#include "auth_map.h"
#include "auth_ip_identity_map.h"
#include "auth_required_map.h"
#include "auth_gate_map.h"

/* saddr, daddr: network order (saddr 0: unbound); dport: host order.
 * Returns NM_C_AUTH_CONNECT_HELD or NM_C_AUTH_CONNECT_HELD_PER_CONNECTION
 * with *gate set when the connection must go to the gate;
 * NM_C_AUTH_CONNECT_NO_GATE means refuse it. */
static __always_inline enum nm_counter nm_auth_decide_connect4(__u32 saddr, __u32 daddr, __u16 dport, struct nm_auth_gate **gate)
{
	struct nm_ip_identity *local = NULL, *remote;
	struct nm_auth_key key = {};
	struct nm_auth_info *info;
	struct nm_auth_gate *g;
	__u32 zero = 0;
	__u8 mode;

	remote = bpf_map_lookup_elem(&nm_ip_identity, &daddr);
	if (!remote)
		return NM_C_AUTH_CONNECT_NOT_REQUIRED;
	mode = nm_auth_port_mode(remote->identity_id, dport);
	if (mode == NM_AUTH_MODE_NONE)
		return NM_C_AUTH_CONNECT_NOT_REQUIRED;
	if (saddr && mode == NM_AUTH_MODE_REQUIRED)
		local = bpf_map_lookup_elem(&nm_ip_identity, &saddr);
	if (local) {
		key.local_id = local->identity_id;
		key.remote_id = remote->identity_id;
		key.remote_node = remote->node_id;
		key.auth_type = NM_AUTH_TYPE_SPIFFE_MTLS;
		info = bpf_map_lookup_elem(&nm_auth, &key);
		if (info && info->expires_boot_ns > bpf_ktime_get_boot_ns())
			return NM_C_AUTH_CONNECT_AUTHENTICATED;
	}
	g = bpf_map_lookup_elem(&nm_auth_gate, &zero);
	if (!g || !g->port)
		return NM_C_AUTH_CONNECT_NO_GATE;
	*gate = g;
	return mode == NM_AUTH_MODE_PER_CONNECTION ? NM_C_AUTH_CONNECT_HELD_PER_CONNECTION : NM_C_AUTH_CONNECT_HELD;
}

#endif
