/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* nm_cgroups: cgroup id → role. A process's role is the one of its deepest
 * ancestor cgroup (itself included) that has an entry, so a node's mesh
 * cgroup can hold excluded workloads, and the node proxy's cgroup marks
 * every socket of the proxy (its upstream connections are never redirected:
 * no loops). Keep in sync with CGROUP_ROLE in bpf/sockmap/src/structs.ts. */
#ifndef NM_CGROUPS_MAP_H
#define NM_CGROUPS_MAP_H

#include "common.h"

enum nm_role {
	NM_ROLE_NONE = 0,
	NM_ROLE_MESH = 1,
	NM_ROLE_PROXY = 2,
	NM_ROLE_EXCLUDED = 3,
};

struct nm_cgroup_role {
	__u32 role; /* enum nm_role */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct nm_cgroup_role);
} nm_cgroups SEC(".maps");

/* Not inlined: as a subprogram it keeps enum nm_role in the BTF (layout test). */
static __noinline __attribute__((unused)) enum nm_role nm_current_role(void)
{
	enum nm_role role = NM_ROLE_NONE;

	for (int level = 0; level < NM_MAX_CGROUP_LEVEL; level++) {
		__u64 id = bpf_get_current_ancestor_cgroup_id(level);
		struct nm_cgroup_role *r;

		if (!id)
			break;
		r = bpf_map_lookup_elem(&nm_cgroups, &id);
		if (r && r->role)
			role = r->role;
	}
	return role;
}

#endif
