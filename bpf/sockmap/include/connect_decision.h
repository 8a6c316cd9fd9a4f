/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The connect4 decision, apart from the hook so that test/ can run it in the
 * kernel with BPF_PROG_TEST_RUN (cgroup/connect4 programs cannot be
 * test-run). Returns the counter reason; NM_C_CONNECT_REDIRECTED means
 * "rewrite to cfg's proxy address". */
#ifndef NM_CONNECT_DECISION_H
#define NM_CONNECT_DECISION_H

#include "common.h"
#include "cgroups_map.h"
#include "config_map.h"
#include "counters_map.h"
#include "excluded_maps.h"
#include "services_map.h"

/* daddr: network order; dport: host order. */
static __always_inline enum nm_counter nm_decide_connect4(__u32 role, __u32 daddr, __u16 dport, struct nm_config **cfg_out)
{
	struct nm_service_key svc = {};
	struct nm_cidr4_key cidr = {};
	struct nm_config *cfg;

	cfg = nm_get_config();
	if (!cfg || !cfg->proxy_port)
		return NM_C_CONNECT_NO_CONFIG;
	*cfg_out = cfg;

	svc.addr[0] = daddr;
	svc.port = dport;
	svc.family = AF_INET;
	svc.proto = IPPROTO_TCP_NUM;
	if (!bpf_map_lookup_elem(&nm_services, &svc)) {
		/* Port 0: every port of this address (the lab's VIPs). */
		svc.port = 0;
		if (!bpf_map_lookup_elem(&nm_services, &svc))
			return NM_C_CONNECT_NOT_SERVICE;
	}

	/* The proxy connecting to a service address must reach it, not itself. */
	if (role == NM_ROLE_PROXY)
		return NM_C_CONNECT_FROM_PROXY;
	if (role == NM_ROLE_EXCLUDED)
		return NM_C_CONNECT_EXCLUDED_CGROUP;
	if (role != NM_ROLE_MESH)
		return NM_C_CONNECT_NOT_MESH;

	if (bpf_map_lookup_elem(&nm_excl_ports, &dport))
		return NM_C_CONNECT_EXCLUDED_PORT;
	cidr.prefixlen = 32;
	cidr.addr = daddr;
	if (bpf_map_lookup_elem(&nm_excl_cidrs, &cidr))
		return NM_C_CONNECT_EXCLUDED_CIDR;
	return NM_C_CONNECT_REDIRECTED;
}

#endif
