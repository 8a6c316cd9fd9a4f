/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* nm_sockhash: the local sockets of redirected connections (the workload's
 * and the proxy's accepted one), keyed by their own 4-tuple, so sk_msg can
 * hand data from one straight to the other. Sockets leave it on close. */
#ifndef NM_SOCKHASH_MAP_H
#define NM_SOCKHASH_MAP_H

#include "tuple.h"

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 65536);
	__type(key, struct nm_tuple);
	__type(value, __u64);
} nm_sockhash SEC(".maps");

#endif
