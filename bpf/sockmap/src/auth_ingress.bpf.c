// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cgroup_skb/ingress: the receiving side of out-of-band authentication
 * (issue #6). A TCP packet to a (local identity, port) in nm_auth_required
 * is delivered only when the sender's address has an identity
 * (nm_ip_identity) and nm_auth holds an unexpired entry for
 * {local identity, sender identity, sender node, spiffe-mtls}; otherwise it
 * is dropped and counted by reason.
 *
 * Every packet is checked, not only SYNs: deleting an entry (revocation,
 * removal) or letting it expire stops an established flow too. The hook runs
 * at socket delivery (sk_filter), after IP reassembly.
 *
 * A port whose mode is per-connection is judged by nm_auth_conn instead:
 * delivered only with an unexpired entry for exactly this 4-tuple, made for
 * these two identities (the sender's node included); a pair entry in nm_auth
 * never lets such a packet through. The entry binds to the sequence number
 * of the first SYN (auth_conn_map.h), so a later connection on the same
 * tuple is not covered by an earlier one's entry.
 *
 * A sender on another node is believed only through the node's tunnel
 * (nm_auth_tunnel, when required): ingress_ifindex is the interface the
 * packet entered the host on (skb_iif), which the hook sees at delivery. */
#include "common.h"
#include "counters_map.h"
#include "auth_map.h"
#include "auth_ip_identity_map.h"
#include "auth_required_map.h"
#include "auth_conn_map.h"
#include "auth_identities_map.h"
#include "auth_nodes_map.h"
#include "auth_tunnel_map.h"

#define NM_SK_PASS 1
#define NM_SK_DROP 0

/* syn: 0 for a packet without SYN; NM_AUTH_CONN_BOUND | seq for a SYN;
 * NM_AUTH_CONN_SYN_UNKNOWN when the flags could not be read. */
#define NM_AUTH_CONN_SYN_UNKNOWN (~0ULL)

static __always_inline enum nm_counter nm_auth_decide_conn(__u32 saddr, __u32 daddr, __u16 sport, __u16 dport, __u64 syn,
							   struct nm_ip_identity *local, struct nm_ip_identity *remote)
{
	struct nm_auth_conn_key ck = {};
	struct nm_auth_conn_info *ci;
	__u64 was;

	ck.saddr = saddr;
	ck.daddr = daddr;
	ck.sport = sport;
	ck.dport = dport;
	ci = bpf_map_lookup_elem(&nm_auth_conn, &ck);
	if (!ci || ci->local_id != local->identity_id || ci->remote_id != remote->identity_id || ci->remote_node != remote->node_id ||
	    ci->auth_type != NM_AUTH_TYPE_SPIFFE_MTLS)
		return NM_C_AUTH_DROP_NO_CONN_ENTRY;
	if (ci->expires_boot_ns <= bpf_ktime_get_boot_ns())
		return NM_C_AUTH_DROP_CONN_EXPIRED;
	if (syn == NM_AUTH_CONN_SYN_UNKNOWN)
		return NM_C_AUTH_DROP_NO_CONN_ENTRY;
	if (syn) {
		/* First SYN binds the entry; a retransmit carries the same number. */
		was = __sync_val_compare_and_swap(&ci->bound_syn, 0, syn);
		if (was && was != syn)
			return NM_C_AUTH_DROP_CONN_REUSED;
	}
	return NM_C_AUTH_INGRESS_CONN_ALLOWED;
}

/* The whole decision, in one place. ports: sport << 16 | dport, host order
 * (a BPF function takes at most five arguments). */
static __noinline enum nm_counter nm_auth_decide(__u32 saddr, __u32 daddr, __u32 ports, __u64 syn, __u32 ingress_ifindex)
{
	__u16 sport = ports >> 16, dport = ports & 0xffff;
	struct nm_ip_identity *local, *remote;
	struct nm_auth_key key = {};
	struct nm_auth_info *info;
	__u8 mode;

	local = bpf_map_lookup_elem(&nm_ip_identity, &daddr);
	if (!local)
		return NM_C_AUTH_INGRESS_NOT_REQUIRED;
	mode = nm_auth_port_mode(local->identity_id, dport);
	if (mode == NM_AUTH_MODE_NONE)
		return NM_C_AUTH_INGRESS_NOT_REQUIRED;
	remote = bpf_map_lookup_elem(&nm_ip_identity, &saddr);
	if (!remote)
		return NM_C_AUTH_DROP_UNKNOWN_IDENTITY;
	/* Before any entry: an entry vouches for an address only as far as the
	 * path the packet took can. */
	if (remote->node_id != local->node_id && !nm_auth_via_tunnel(ingress_ifindex))
		return NM_C_AUTH_DROP_OUTSIDE_TUNNEL;
	if (mode == NM_AUTH_MODE_PER_CONNECTION)
		return nm_auth_decide_conn(saddr, daddr, sport, dport, syn, local, remote);
	key.local_id = local->identity_id;
	key.remote_id = remote->identity_id;
	key.remote_node = remote->node_id;
	key.auth_type = NM_AUTH_TYPE_SPIFFE_MTLS;
	info = bpf_map_lookup_elem(&nm_auth, &key);
	if (!info)
		return NM_C_AUTH_DROP_NO_ENTRY;
	if (info->expires_boot_ns <= bpf_ktime_get_boot_ns())
		return NM_C_AUTH_DROP_EXPIRED;
	return NM_C_AUTH_INGRESS_ALLOWED;
}

SEC("cgroup_skb/ingress")
int nm_auth_ingress(struct __sk_buff *skb)
{
	struct iphdr ip;
	__u16 ports[2];
	struct {
		__u32 seq;
		__u32 ack_seq;
		__u8 doff;
		__u8 flags;
	} th;
	enum nm_counter c;
	__u64 syn = NM_AUTH_CONN_SYN_UNKNOWN;

	if (skb->protocol != bpf_htons(0x0800 /* ETH_P_IP */))
		return NM_SK_PASS;
	/* cgroup_skb data starts at the network header. */
	if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)))
		return NM_SK_PASS;
	if (ip.protocol != IPPROTO_TCP_NUM || ip.ihl < 5)
		return NM_SK_PASS;
	if (bpf_skb_load_bytes(skb, ip.ihl * 4, ports, sizeof(ports))) {
		/* A TCP packet too short for its ports cannot be judged: refuse it
		 * rather than let an auth-required flow through. */
		nm_count(NM_C_AUTH_DROP_NO_ENTRY);
		return NM_SK_DROP;
	}
	if (!bpf_skb_load_bytes(skb, ip.ihl * 4 + 4, &th, sizeof(th)))
		syn = (th.flags & 0x12) == 0x02 /* SYN, not SYN-ACK */ ? (NM_AUTH_CONN_BOUND | bpf_ntohl(th.seq)) : 0;
	c = nm_auth_decide(ip.saddr, ip.daddr, (__u32)bpf_ntohs(ports[0]) << 16 | bpf_ntohs(ports[1]), syn, skb->ingress_ifindex);
	nm_count(c);
	return c == NM_C_AUTH_INGRESS_ALLOWED || c == NM_C_AUTH_INGRESS_CONN_ALLOWED || c == NM_C_AUTH_INGRESS_NOT_REQUIRED ? NM_SK_PASS : NM_SK_DROP;
}

/* The allocation tables are referenced by no program; this keeps them (and
 * struct nm_name) in the object so the loader creates and pins them. */
static __noinline __attribute__((unused)) int nm_auth_unused(void)
{
	__u32 k = 0;
	return bpf_map_lookup_elem(&nm_identities, &k) != 0 || bpf_map_lookup_elem(&nm_nodes, &k) != 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
