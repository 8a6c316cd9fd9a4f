/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* nm_orig_pair: (workload, proxy) 4-tuple → original destination; read by
 * cgroup/getsockopt for the proxy's accepted socket (SO_ORIGINAL_DST),
 * deleted by sockops when that socket closes. */
#ifndef NM_ORIG_PAIR_MAP_H
#define NM_ORIG_PAIR_MAP_H

#include "orig_dst.h"
#include "tuple.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct nm_tuple);
	__type(value, struct nm_orig_dst);
} nm_orig_pair SEC(".maps");

#endif
