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
 * The initiating side does not hold an unauthenticated connection yet (the
 * auth gate, issue #6 item 3): today its SYN is dropped here and the
 * initiator sees retransmits, then a timeout. */
#include "common.h"
#include "counters_map.h"
#include "auth_map.h"
#include "auth_ip_identity_map.h"
#include "auth_required_map.h"
#include "auth_identities_map.h"
#include "auth_nodes_map.h"

#define NM_SK_PASS 1
#define NM_SK_DROP 0

/* The whole decision, in one place. */
static __noinline enum nm_counter nm_auth_decide(__u32 saddr, __u32 daddr, __u16 dport)
{
	struct nm_auth_required_key rk = {};
	struct nm_auth_required_value *req;
	struct nm_ip_identity *local, *remote;
	struct nm_auth_key key = {};
	struct nm_auth_info *info;

	local = bpf_map_lookup_elem(&nm_ip_identity, &daddr);
	if (!local)
		return NM_C_AUTH_INGRESS_NOT_REQUIRED;
	rk.identity_id = local->identity_id;
	rk.port = dport;
	req = bpf_map_lookup_elem(&nm_auth_required, &rk);
	if (!req || req->mode != NM_AUTH_MODE_REQUIRED) {
		rk.port = 0;
		req = bpf_map_lookup_elem(&nm_auth_required, &rk);
		if (!req || req->mode != NM_AUTH_MODE_REQUIRED)
			return NM_C_AUTH_INGRESS_NOT_REQUIRED;
	}
	remote = bpf_map_lookup_elem(&nm_ip_identity, &saddr);
	if (!remote)
		return NM_C_AUTH_DROP_UNKNOWN_IDENTITY;
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
	enum nm_counter c;

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
	c = nm_auth_decide(ip.saddr, ip.daddr, bpf_ntohs(ports[1]));
	nm_count(c);
	return c == NM_C_AUTH_INGRESS_ALLOWED || c == NM_C_AUTH_INGRESS_NOT_REQUIRED ? NM_SK_PASS : NM_SK_DROP;
}

/* The allocation tables are referenced by no program; this keeps them (and
 * struct nm_name) in the object so the loader creates and pins them. */
static __noinline __attribute__((unused)) int nm_auth_unused(void)
{
	__u32 k = 0;
	return bpf_map_lookup_elem(&nm_identities, &k) != 0 || bpf_map_lookup_elem(&nm_nodes, &k) != 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
