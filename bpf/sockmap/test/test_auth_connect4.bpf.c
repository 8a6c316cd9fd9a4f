// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Test-only: runs auth_connect4's decision (auth_connect_decision.h) through
 * BPF_PROG_TEST_RUN against the pinned maps. Never attached.
 * args: saddr, daddr (network order), dport (host order). */
#include "common.h"
#include "auth_connect_decision.h"

SEC("raw_tp")
int nm_test_auth_connect4(struct bpf_raw_tracepoint_args *ctx)
{
	struct nm_auth_gate *gate = NULL;

	return nm_auth_decide_connect4((__u32)ctx->args[0], (__u32)ctx->args[1], (__u16)ctx->args[2], &gate);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
