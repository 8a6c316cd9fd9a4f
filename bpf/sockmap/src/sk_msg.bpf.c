// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sk_msg on nm_sockhash: data sent on one local socket of a redirected
 * connection goes straight into its peer's receive queue, skipping TCP/IP.
 * When the peer is not (yet) in the hash — the proxy's end is added a moment
 * after the workload's — the data takes the normal path: a miss, not a drop. */
#include "common.h"
#include "counters_map.h"
#include "sockhash_map.h"

SEC("sk_msg")
int nm_sk_msg(struct sk_msg_md *msg)
{
	struct nm_tuple peer = {};
	__u32 local, remote;

	/* The peer's own tuple: its end is our remote. A dual-stack IPv6 socket
	 * redirected by connect6 talks to the proxy over IPv4-mapped addresses. */
	if (!NM_ADDRS4(msg, &local, &remote))
		return SK_PASS;
	peer.saddr[0] = remote;
	peer.daddr[0] = local;
	peer.sport = nm_remote_port(msg->remote_port);
	peer.dport = (__u16)msg->local_port;
	peer.family = AF_INET;
	if (bpf_msg_redirect_hash(msg, &nm_sockhash, &peer, BPF_F_INGRESS) == SK_PASS)
		nm_count(NM_C_MSG_REDIRECT_HIT);
	else
		nm_count(NM_C_MSG_REDIRECT_MISS);
	return SK_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
