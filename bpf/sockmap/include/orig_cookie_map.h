/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* nm_orig_cookie: socket cookie → original destination, written by
 * cgroup/connect4 when it redirects, moved to nm_orig_pair by sockops once
 * the connection is established (the accepted socket has a different cookie,
 * its 4-tuple is what the proxy can look up). LRU: a connect that never
 * completes leaves an entry that ages out. */
#ifndef NM_ORIG_COOKIE_MAP_H
#define NM_ORIG_COOKIE_MAP_H

#include "orig_dst.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct nm_orig_dst);
} nm_orig_cookie SEC(".maps");

#endif
