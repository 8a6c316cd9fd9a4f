// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sockops: when a redirected connection is established, its original
 * destination moves from the socket cookie to the (workload, proxy) 4-tuple,
 * which the proxy's accepted socket can look up; both local sockets go into
 * nm_sockhash so sk_msg can move bytes between them. */
#include "common.h"
#include "config_map.h"
#include "counters_map.h"
#include "orig_cookie_map.h"
#include "orig_pair_map.h"
#include "sockhash_map.h"

static __always_inline int nm_own_tuple(struct bpf_sock_ops *skops, struct nm_tuple *t)
{
	__u32 local, remote;

	if (!NM_ADDRS4(skops, &local, &remote))
		return 0;
	t->saddr[0] = local;
	t->daddr[0] = remote;
	t->sport = (__u16)skops->local_port;
	t->dport = nm_remote_port(skops->remote_port);
	t->family = AF_INET;
	return 1;
}

static __always_inline void nm_sockhash_add(struct bpf_sock_ops *skops)
{
	struct nm_config *cfg = nm_get_config();
	struct nm_tuple own = {};

	if (!cfg || !cfg->sockmap) {
		nm_count(NM_C_SOCKOPS_SOCKMAP_OFF);
		return;
	}
	if (!nm_own_tuple(skops, &own))
		return;
	if (bpf_sock_hash_update(skops, &nm_sockhash, &own, BPF_ANY))
		nm_count(NM_C_SOCKOPS_SOCKHASH_FAILED);
	else
		nm_count(NM_C_SOCKOPS_SOCKHASH_ADDED);
}

/* The workload's side: connect4 left the original destination under its cookie. */
static __always_inline void nm_active_established(struct bpf_sock_ops *skops)
{
	__u64 cookie = bpf_get_socket_cookie(skops);
	struct nm_orig_dst *od = bpf_map_lookup_elem(&nm_orig_cookie, &cookie);
	struct nm_tuple pair = {};

	if (!od)
		return;
	if (!nm_own_tuple(skops, &pair)) /* client = this socket, server = the proxy */
		return;
	if (bpf_map_update_elem(&nm_orig_pair, &pair, od, BPF_ANY)) {
		nm_count(NM_C_SOCKOPS_PAIR_STORE_FAILED);
		return;
	}
	bpf_map_delete_elem(&nm_orig_cookie, &cookie);
	nm_count(NM_C_SOCKOPS_PAIR_STORED);
	nm_sockhash_add(skops);
}

/* The proxy's accepted sockets are IPv4: its capture listener is. */
static __always_inline void nm_server_pair(struct bpf_sock_ops *skops, struct nm_tuple *pair)
{
	pair->saddr[0] = skops->remote_ip4;
	pair->daddr[0] = skops->local_ip4;
	pair->sport = nm_remote_port(skops->remote_port);
	pair->dport = (__u16)skops->local_port;
	pair->family = AF_INET;
}

/* The proxy's accepted socket: only those of redirected connections. */
static __always_inline void nm_passive_established(struct bpf_sock_ops *skops)
{
	struct nm_tuple pair = {};

	nm_server_pair(skops, &pair);
	if (!bpf_map_lookup_elem(&nm_orig_pair, &pair))
		return;
	/* Ask for the close callback, to drop the nm_orig_pair entry then. */
	bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags | BPF_SOCK_OPS_STATE_CB_FLAG);
	nm_sockhash_add(skops);
}

SEC("sockops")
int nm_sockops(struct bpf_sock_ops *skops)
{
	struct nm_tuple pair = {};

	switch (skops->op) {
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
		nm_active_established(skops);
		break;
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		if (skops->family == AF_INET)
			nm_passive_established(skops);
		break;
	case BPF_SOCK_OPS_STATE_CB:
		if (skops->family == AF_INET && skops->args[1] == BPF_TCP_CLOSE) {
			nm_server_pair(skops, &pair);
			bpf_map_delete_elem(&nm_orig_pair, &pair);
		}
		break;
	}
	return 1;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
