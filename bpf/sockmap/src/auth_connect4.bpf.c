// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cgroup/connect4 on the mesh workloads' cgroups: the initiating side of
 * out-of-band authentication (issue #6). A connect() to an auth-required
 * (identity, port) goes on unchanged when nm_auth holds a valid entry for
 * the pair. Without one it cannot wait here, so it is steered to the node's
 * auth gate, with the original destination kept under the socket cookie
 * (as the proxy redirect does; sockops moves it to the 4-tuple and
 * getsockopt(SO_ORIGINAL_DST) answers the gate). The gate holds the
 * connection while the agent authenticates, then forwards or resets it: the
 * first connection pays the handshake, never a SYN retransmit.
 *
 * Attached to the mesh cgroups, it runs before the node's steering connect4
 * (descendants first), which leaves the gate address alone: it is no
 * service. Without a gate the connect is refused (EPERM): fail closed.
 * Connections to a per-connection port are held every time (counted as
 * auth_connect_held and auth_connect_held_per_connection). */
#include "common.h"
#include "auth_connect_decision.h"
#include "orig_cookie_map.h"

#define NM_CONNECT_REFUSE 0
#define NM_CONNECT_GO 1

SEC("cgroup/connect4")
int nm_auth_connect4(struct bpf_sock_addr *ctx)
{
	struct nm_auth_gate *gate = NULL;
	struct nm_orig_dst od = {};
	struct bpf_sock *sk;
	enum nm_counter c;
	__u32 saddr = 0;
	__u64 cookie;

	if (ctx->protocol != IPPROTO_TCP_NUM)
		return NM_CONNECT_GO;
	sk = ctx->sk;
	if (sk)
		saddr = sk->src_ip4;
	c = nm_auth_decide_connect4(saddr, ctx->user_ip4, bpf_ntohs(ctx->user_port), &gate);
	if ((c != NM_C_AUTH_CONNECT_HELD && c != NM_C_AUTH_CONNECT_HELD_PER_CONNECTION) || !gate) {
		nm_count(c);
		return c == NM_C_AUTH_CONNECT_NO_GATE ? NM_CONNECT_REFUSE : NM_CONNECT_GO;
	}
	od.addr[0] = ctx->user_ip4;
	od.port = bpf_ntohs(ctx->user_port);
	od.family = AF_INET;
	od.cgroup_id = bpf_get_current_cgroup_id();
	cookie = bpf_get_socket_cookie(ctx);
	if (bpf_map_update_elem(&nm_orig_cookie, &cookie, &od, BPF_ANY)) {
		/* The gate could not tell where it was going: refuse, never pass. */
		nm_count(NM_C_AUTH_CONNECT_ORIG_STORE_FAILED);
		return NM_CONNECT_REFUSE;
	}
	ctx->user_ip4 = gate->addr4;
	ctx->user_port = bpf_htons(gate->port);
	nm_count(NM_C_AUTH_CONNECT_HELD);
	if (c == NM_C_AUTH_CONNECT_HELD_PER_CONNECTION)
		nm_count(c);
	return NM_CONNECT_GO;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
