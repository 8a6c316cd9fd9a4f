/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* nm_identities: identity id → SPIFFE ID. The allocation table of the small
 * integers nm_auth, nm_ip_identity and nm_auth_required are keyed by, shared
 * by every user-space writer through the pin (bpf/sockmap/src/auth-map.ts:
 * open addressing from a hash of the ID, claimed with BPF_NOEXIST). Ids are
 * stable for as long as the pin lives; id 0 is never used. The programs never
 * read it. */
#ifndef NM_AUTH_IDENTITIES_MAP_H
#define NM_AUTH_IDENTITIES_MAP_H

#include "auth_name.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct nm_name);
} nm_identities SEC(".maps");

#endif
