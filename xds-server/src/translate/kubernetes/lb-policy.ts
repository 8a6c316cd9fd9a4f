// Load-balancing policy of a Service, from the nodemesh.io/lb-policy annotation.
import type { LbPolicy } from '../../model/types.js';

export const LB_POLICY_ANNOTATION = 'nodemesh.io/lb-policy';
export const LB_POLICIES: readonly LbPolicy[] = ['ROUND_ROBIN', 'LEAST_REQUEST', 'RING_HASH', 'RANDOM', 'MAGLEV'];
const DEFAULT_POLICY: LbPolicy = 'ROUND_ROBIN';

export type LbPolicyResult = { policy: LbPolicy; error?: string };

export function resolveLbPolicy(annotations: Readonly<Record<string, string>>): LbPolicyResult {
  const raw = annotations[LB_POLICY_ANNOTATION];
  if (raw === undefined) return { policy: DEFAULT_POLICY };
  const wanted = raw.trim().toUpperCase();
  const policy = LB_POLICIES.find((p) => p === wanted);
  if (policy !== undefined) return { policy };
  return {
    policy: DEFAULT_POLICY,
    error: `Unsupported value: ${JSON.stringify(raw)}: supported values (case-insensitive): ${LB_POLICIES.join(', ')}; using ${DEFAULT_POLICY}`,
  };
}
