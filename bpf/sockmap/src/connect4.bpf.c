// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cgroup/connect4: a mesh workload's TCP connect to a mesh service VIP:port
 * goes to the node proxy's capture address instead; the original destination
 * is kept under the socket's cookie for sockops to pick up. */
#include "common.h"
#include "connect_decision.h"
#include "orig_cookie_map.h"

SEC("cgroup/connect4")
int nm_connect4(struct bpf_sock_addr *ctx)
{
	struct nm_config *cfg = NULL;
	struct nm_orig_dst od = {};
	enum nm_counter reason;
	__u64 cookie;

	if (ctx->protocol != IPPROTO_TCP_NUM) {
		nm_count(NM_C_CONNECT_NOT_TCP);
		return 1;
	}
	reason = nm_decide_connect4(nm_current_role(), ctx->user_ip4, bpf_ntohs(ctx->user_port), &cfg);
	if (reason != NM_C_CONNECT_REDIRECTED || !cfg) {
		nm_count(reason);
		return 1;
	}

	od.addr[0] = ctx->user_ip4;
	od.port = bpf_ntohs(ctx->user_port);
	od.family = AF_INET;
	od.cgroup_id = bpf_get_current_cgroup_id();
	cookie = bpf_get_socket_cookie(ctx);
	if (bpf_map_update_elem(&nm_orig_cookie, &cookie, &od, BPF_ANY)) {
		/* Without the original destination the proxy could not route it:
		 * better to leave the connection alone. */
		nm_count(NM_C_CONNECT_ORIG_STORE_FAILED);
		return 1;
	}
	ctx->user_ip4 = cfg->proxy_addr4;
	ctx->user_port = bpf_htons(cfg->proxy_port);
	nm_count(NM_C_CONNECT_REDIRECTED);
	return 1;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
