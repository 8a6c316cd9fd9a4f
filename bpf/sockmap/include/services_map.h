/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* nm_services: the service address:ports the mesh manages (ClusterIP VIPs
 * from the mesh model). Keep struct nm_service_key/value in sync with
 * SERVICE_KEY/SERVICE_VALUE in bpf/sockmap/src/structs.ts. */
#ifndef NM_SERVICES_MAP_H
#define NM_SERVICES_MAP_H

struct nm_service_key {
	__u32 addr[4]; /* network-order words; IPv4 in addr[0] */
	__u16 port;    /* host order; 0: every port of addr */
	__u8 family;   /* AF_INET */
	__u8 proto;    /* IPPROTO_TCP */
};

struct nm_service_value {
	__u32 flags; /* reserved, 0 */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct nm_service_key);
	__type(value, struct nm_service_value);
} nm_services SEC(".maps");

#endif
