// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cgroup/getsockopt: answers getsockopt(SOL_IP, SO_ORIGINAL_DST) on the node
 * proxy's accepted socket of a redirected connection from nm_orig_pair, the
 * way netfilter answers it from conntrack, so Envoy's original_dst listener
 * filter and the embedded engine need nothing nodemesh-specific. */
#include "common.h"
#include "counters_map.h"
#include "orig_pair_map.h"

SEC("cgroup/getsockopt")
int nm_getsockopt(struct bpf_sockopt *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	struct sockaddr_in *sa;
	struct nm_orig_dst *od;
	struct nm_tuple pair = {};

	if (ctx->level != SOL_IP || ctx->optname != SO_ORIGINAL_DST || !sk)
		return 1;
	if (sk->family != AF_INET)
		return 1;
	/* This is the proxy's end: the client is the peer. */
	pair.saddr[0] = sk->dst_ip4;
	pair.daddr[0] = sk->src_ip4;
	pair.sport = bpf_ntohs(sk->dst_port);
	pair.dport = (__u16)sk->src_port;
	pair.family = AF_INET;
	od = bpf_map_lookup_elem(&nm_orig_pair, &pair);
	if (!od) {
		nm_count(NM_C_GETSOCKOPT_MISS);
		return 1;
	}
	sa = ctx->optval;
	if ((void *)(sa + 1) > ctx->optval_end) {
		nm_count(NM_C_GETSOCKOPT_SHORT_BUFFER);
		return 1;
	}
	sa->sin_family = AF_INET;
	sa->sin_port = bpf_htons(od->port);
	sa->sin_addr.s_addr = od->addr[0];
	__builtin_memset(sa->__pad, 0, sizeof(sa->__pad));
	ctx->optlen = sizeof(*sa);
	ctx->retval = 0;
	nm_count(NM_C_GETSOCKOPT_ANSWERED);
	return 1;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
