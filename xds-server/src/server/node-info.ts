// Turning the Node of a discovery request into the NodeInfo the cache hashes.
import type { Node__Output } from '../../../api/src/generated/envoy/config/core/v3/Node.js';
import type { Value__Output } from '../../../api/src/generated/google/protobuf/Value.js';
import type { NodeInfo } from '../cache/snapshot-cache.js';

export function nodeInfo(node: Node__Output): NodeInfo {
  const metadata: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node.metadata?.fields ?? {})) metadata[k] = valueToJson(v);
  return { id: node.id, cluster: node.cluster, userAgentName: node.user_agent_name, metadata };
}

function valueToJson(v: Value__Output): unknown {
  switch (v.kind) {
    case 'stringValue':
      return v.stringValue;
    case 'numberValue':
      return v.numberValue;
    case 'boolValue':
      return v.boolValue;
    case 'structValue': {
      const out: Record<string, unknown> = {};
      for (const [k, f] of Object.entries(v.structValue?.fields ?? {})) out[k] = valueToJson(f as Value__Output);
      return out;
    }
    case 'listValue':
      return (v.listValue?.values ?? []).map(valueToJson);
    default:
      return null;
  }
}
