/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What every nodemesh sockmap program includes: kernel types (CO-RE, from
 * vmlinux.h generated at build time), libbpf's helper declarations, and the
 * few UAPI constants vmlinux.h cannot carry (they are #defines). */
#ifndef NM_COMMON_H
#define NM_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define AF_INET 2
#define AF_INET6 10
#define SOL_IP 0
#define SO_ORIGINAL_DST 80
#define IPPROTO_TCP_NUM 6

/* The cgroup hierarchy depth the role lookup walks (level 0 is the root). */
#define NM_MAX_CGROUP_LEVEL 16

#endif
