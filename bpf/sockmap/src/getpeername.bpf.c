// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cgroup/getpeername4 (and 6): a redirected workload socket is connected to the node
 * proxy's capture address; getpeername() on it answers the service VIP:port
 * the workload dialed instead, from nm_orig_pair (the entry sockops stored
 * for the (workload, proxy) 4-tuple, removed when the proxy's end closes), so
 * the redirect is invisible to the workload. Any other socket — the proxy's
 * accepted end of the same connection included, whose 4-tuple is the
 * reverse — is left alone. */
#include "common.h"
#include "counters_map.h"
#include "orig_pair_map.h"

SEC("cgroup/getpeername4")
int nm_getpeername4(struct bpf_sock_addr *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	struct nm_orig_dst *od;
	struct nm_tuple pair = {};

	if (!sk || sk->family != AF_INET)
		return 1;
	/* This is the workload's end: it is the client of the pair. */
	pair.saddr[0] = sk->src_ip4;
	pair.daddr[0] = sk->dst_ip4;
	pair.sport = (__u16)sk->src_port;
	pair.dport = bpf_ntohs(sk->dst_port);
	pair.family = AF_INET;
	od = bpf_map_lookup_elem(&nm_orig_pair, &pair);
	if (!od)
		return 1;
	ctx->user_ip4 = od->addr[0];
	ctx->user_port = bpf_htons(od->port);
	nm_count(NM_C_GETPEERNAME_ANSWERED);
	return 1;
}

/* The same for a dual-stack AF_INET6 socket that connect6 redirected (an
 * IPv4 service dialed as ::ffff:a.b.c.d): sockops keyed its pair by the IPv4
 * forms, and the answer is the VIP in mapped form. Every field is read up
 * front (see NM_ADDRS4 in tuple.h). */
SEC("cgroup/getpeername6")
int nm_getpeername6(struct bpf_sock_addr *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	struct nm_orig_dst *od;
	struct nm_tuple pair = {};
	__u32 fam, s0, s1, s2, s3, d0, d1, d2, d3, sport, dport;

	if (!sk)
		return 1;
	fam = sk->family;
	s0 = sk->src_ip6[0];
	s1 = sk->src_ip6[1];
	s2 = sk->src_ip6[2];
	s3 = sk->src_ip6[3];
	d0 = sk->dst_ip6[0];
	d1 = sk->dst_ip6[1];
	d2 = sk->dst_ip6[2];
	d3 = sk->dst_ip6[3];
	sport = sk->src_port;
	dport = sk->dst_port;
	if (fam != AF_INET6 || !nm_is_v4_mapped(s0, s1, s2) || !nm_is_v4_mapped(d0, d1, d2))
		return 1;
	pair.saddr[0] = s3;
	pair.daddr[0] = d3;
	pair.sport = (__u16)sport;
	pair.dport = bpf_ntohs((__u16)dport);
	pair.family = AF_INET;
	od = bpf_map_lookup_elem(&nm_orig_pair, &pair);
	if (!od)
		return 1;
	ctx->user_ip6[0] = 0;
	ctx->user_ip6[1] = 0;
	ctx->user_ip6[2] = bpf_htonl(0x0000ffff);
	ctx->user_ip6[3] = od->addr[0];
	ctx->user_port = bpf_htons(od->port);
	nm_count(NM_C_GETPEERNAME_ANSWERED);
	return 1;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
