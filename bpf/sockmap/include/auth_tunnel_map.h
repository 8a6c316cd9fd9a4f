/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* nm_auth_tunnel: the node's encrypted tunnel (one entry), written by the
 * auth agent (--tunnel-interface). nm_ip_identity trusts a packet's source
 * address, so an auth-required packet from another node's workload counts
 * only when it came out of the tunnel, whose cryptokey routing accepts that
 * address from its own node's key alone; a packet that arrives on any other
 * interface with that source address is a forgery and is dropped. With
 * `required` set and ifindex 0 (the interface is not there yet, or is being
 * re-created) every such packet is dropped: fail closed. Keep struct
 * nm_auth_tunnel in sync with AUTH_TUNNEL in bpf/sockmap/src/auth-structs.ts. */
#ifndef NM_AUTH_TUNNEL_MAP_H
#define NM_AUTH_TUNNEL_MAP_H

struct nm_auth_tunnel {
	__u32 ifindex;  /* the tunnel interface; 0 = none at the moment */
	__u8 required;  /* 0: not checked (no encryption configured) */
	__u8 pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nm_auth_tunnel);
} nm_auth_tunnel SEC(".maps");

/* Whether a packet that entered the host on ingress_ifindex may carry a remote node's workload address. */
static __always_inline int nm_auth_via_tunnel(__u32 ingress_ifindex)
{
	__u32 k = 0;
	struct nm_auth_tunnel *t = bpf_map_lookup_elem(&nm_auth_tunnel, &k);

	if (!t || !t->required)
		return 1;
	return t->ifindex && t->ifindex == ingress_ifindex;
}

#endif
