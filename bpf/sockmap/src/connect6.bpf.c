// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cgroup/connect6: the connect4 decision for dual-stack IPv6 sockets dialing
 * an IPv4 service as ::ffff:a.b.c.d; such a connection goes to the proxy's
 * (IPv4) capture address in the same mapped form. Native IPv6 destinations
 * are left alone: the capture listener is IPv4 only, so there is nowhere to
 * send them yet (counted). */
#include "common.h"
#include "connect_decision.h"
#include "orig_cookie_map.h"
#include "tuple.h"

SEC("cgroup/connect6")
int nm_connect6(struct bpf_sock_addr *ctx)
{
	struct nm_config *cfg = NULL;
	struct nm_orig_dst od = {};
	enum nm_counter reason;
	__u32 daddr;
	__u64 cookie;

	if (ctx->protocol != IPPROTO_TCP_NUM) {
		nm_count(NM_C_CONNECT_NOT_TCP);
		return 1;
	}
	if (!nm_is_v4_mapped(ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2])) {
		nm_count(NM_C_CONNECT6_NOT_V4_MAPPED);
		return 1;
	}
	daddr = ctx->user_ip6[3];
	reason = nm_decide_connect4(nm_current_role(), daddr, bpf_ntohs(ctx->user_port), &cfg);
	if (reason != NM_C_CONNECT_REDIRECTED || !cfg) {
		nm_count(reason);
		return 1;
	}

	od.addr[0] = daddr;
	od.port = bpf_ntohs(ctx->user_port);
	od.family = AF_INET;
	od.cgroup_id = bpf_get_current_cgroup_id();
	cookie = bpf_get_socket_cookie(ctx);
	if (bpf_map_update_elem(&nm_orig_cookie, &cookie, &od, BPF_ANY)) {
		nm_count(NM_C_CONNECT_ORIG_STORE_FAILED);
		return 1;
	}
	ctx->user_ip6[3] = cfg->proxy_addr4;
	ctx->user_port = bpf_htons(cfg->proxy_port);
	nm_count(NM_C_CONNECT_REDIRECTED);
	return 1;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
