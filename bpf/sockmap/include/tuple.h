/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* struct nm_tuple: one TCP connection. Keep in sync with TUPLE in
 * bpf/sockmap/src/structs.ts (checked against this object's BTF by
 * structs.test.ts). */
#ifndef NM_TUPLE_H
#define NM_TUPLE_H

/* Addresses are network-order words, IPv4 in addr[0] and the rest zero;
 * ports are in host byte order. As a nm_orig_pair key, s* is the client (the
 * workload) and d* the server (the node proxy's capture address); as a
 * nm_sockhash key, s* is the socket's own end and d* its peer. */
struct nm_tuple {
	__u32 saddr[4];
	__u32 daddr[4];
	__u16 sport;
	__u16 dport;
	__u8 family;
	__u8 pad[3];
};

/* sock_ops and sk_msg expose remote_port as a 16-bit network-order port
 * shifted into the upper half of the 32-bit field (little-endian load of
 * skc_dport, then << 16), so the host-order port is ntohl() of the field. */
static __always_inline __u16 nm_remote_port(__u32 field)
{
	return (__u16)bpf_ntohl(field);
}

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d, network-order words): the
 * form a dual-stack AF_INET6 socket uses for IPv4 peers. */
static __always_inline int nm_is_v4_mapped(__u32 w0, __u32 w1, __u32 w2)
{
	return w0 == 0 && w1 == 0 && w2 == bpf_htonl(0x0000ffff);
}

/* The IPv4 addresses of a socket from its context fields, also for a
 * dual-stack IPv6 socket with IPv4-mapped addresses (redirected by connect6).
 * Every field is read up front, unconditionally: reads chosen by a branch get
 * merged by clang into one read at a computed context offset, which the
 * verifier rejects. Returns 0 when the socket has no IPv4 form. */
#define NM_ADDRS4(ctx, local, remote)                                                            \
	({                                                                                       \
		__u32 _fam = (ctx)->family, _l4 = (ctx)->local_ip4, _r4 = (ctx)->remote_ip4;     \
		__u32 _l0 = (ctx)->local_ip6[0], _l1 = (ctx)->local_ip6[1];                      \
		__u32 _l2 = (ctx)->local_ip6[2], _l3 = (ctx)->local_ip6[3];                      \
		__u32 _r0 = (ctx)->remote_ip6[0], _r1 = (ctx)->remote_ip6[1];                    \
		__u32 _r2 = (ctx)->remote_ip6[2], _r3 = (ctx)->remote_ip6[3];                    \
		int _ok = 1;                                                                     \
		if (_fam == AF_INET) {                                                           \
			*(local) = _l4;                                                          \
			*(remote) = _r4;                                                         \
		} else if (_fam == AF_INET6 && nm_is_v4_mapped(_l0, _l1, _l2) && nm_is_v4_mapped(_r0, _r1, _r2)) { \
			*(local) = _l3;                                                          \
			*(remote) = _r3;                                                         \
		} else {                                                                         \
			_ok = 0;                                                                 \
		}                                                                                \
		_ok;                                                                             \
	})

#endif
