/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* struct nm_orig_dst: where a redirected connection was going. Keep in sync
 * with ORIG_DST in bpf/sockmap/src/structs.ts. */
#ifndef NM_ORIG_DST_H
#define NM_ORIG_DST_H

struct nm_orig_dst {
	__u32 addr[4];   /* network-order words; IPv4 in addr[0] */
	__u16 port;      /* host byte order */
	__u8 family;     /* AF_INET */
	__u8 flags;      /* reserved, 0 */
	__u32 pad;
	__u64 cgroup_id; /* cgroup of the process that connected */
};

#endif
