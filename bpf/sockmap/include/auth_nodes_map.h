/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* nm_nodes: node id → node name, allocated as nm_identities. Ids fit the
 * 16-bit remote_node of struct nm_auth_key; 0 is never used. */
#ifndef NM_AUTH_NODES_MAP_H
#define NM_AUTH_NODES_MAP_H

#include "auth_name.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65535);
	__type(key, __u32);
	__type(value, struct nm_name);
} nm_nodes SEC(".maps");

#endif
