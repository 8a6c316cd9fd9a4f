// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Test-only: runs connect4's decision (connect_decision.h) on inputs given as
 * raw tracepoint arguments, through BPF_PROG_TEST_RUN, against the pinned
 * maps the agent wrote. cgroup/connect4 itself cannot be test-run. Never
 * attached. args: role, daddr (network order), dport (host order). */
#include "common.h"
#include "connect_decision.h"

SEC("raw_tp")
int nm_test_connect4(struct bpf_raw_tracepoint_args *ctx)
{
	struct nm_config *cfg = NULL;

	return nm_decide_connect4((__u32)ctx->args[0], (__u32)ctx->args[1], (__u16)ctx->args[2], &cfg);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
