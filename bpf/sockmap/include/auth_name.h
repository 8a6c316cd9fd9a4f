/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* struct nm_name: a name behind a small integer id (a SPIFFE ID in
 * nm_identities, a node name in nm_nodes). Only user space reads the names;
 * the programs see the ids. Keep in sync with NAME in
 * bpf/sockmap/src/auth-structs.ts. */
#ifndef NM_AUTH_NAME_H
#define NM_AUTH_NAME_H

/* A SPIFFE ID is at most 2048 bytes (auth/src/spiffe/id.ts). */
#define NM_NAME_MAX 2048

struct nm_name {
	__u16 len;
	__u16 pad;
	char name[NM_NAME_MAX];
};

#endif
