// Listener allowedRoutes: which namespaces' routes, and which route kinds, a
// listener admits.
import { GATEWAY_API_GROUP } from '../../../../crds/src/gateway-api/common.js';
import type { LabelSelectorSpec, ListenerSpec } from '../../../../crds/src/gateway-api/gateway.js';
import { NAMESPACE_NAME_LABEL } from '../../../../crds/src/namespace.js';
import type { RouteGroupKind } from './status.js';

/** Route kinds nodemesh serves per listener protocol. */
export const ROUTE_KINDS_BY_PROTOCOL: Readonly<Record<string, readonly RouteGroupKind[]>> = {
  // GRPCRoute needs HTTP/2 without an upgrade (prior knowledge on HTTP, ALPN
  // on HTTPS), which every HTTP connection manager nodemesh programs serves.
  HTTP: [
    { group: GATEWAY_API_GROUP, kind: 'HTTPRoute' },
    { group: GATEWAY_API_GROUP, kind: 'GRPCRoute' },
  ],
  HTTPS: [
    { group: GATEWAY_API_GROUP, kind: 'HTTPRoute' },
    { group: GATEWAY_API_GROUP, kind: 'GRPCRoute' },
  ],
  // TLSRoute on both tls.mode Passthrough and Terminate (the spec's Extended TLSRouteTermination).
  TLS: [{ group: GATEWAY_API_GROUP, kind: 'TLSRoute' }],
  TCP: [{ group: GATEWAY_API_GROUP, kind: 'TCPRoute' }],
  UDP: [{ group: GATEWAY_API_GROUP, kind: 'UDPRoute' }],
};

/** The listener's supported kinds, and the requested kinds it cannot serve. */
export function routeKinds(listener: ListenerSpec): { supported: RouteGroupKind[]; invalid: RouteGroupKind[] } {
  const servable = ROUTE_KINDS_BY_PROTOCOL[listener.protocol] ?? [];
  const requested = listener.allowedRoutes.kinds;
  if (requested === undefined) return { supported: servable.map((k) => ({ ...k })), invalid: [] };
  const ok = (k: RouteGroupKind) => servable.some((s) => s.group === k.group && s.kind === k.kind);
  return { supported: requested.filter(ok).map(({ group, kind }) => ({ group, kind })), invalid: requested.filter((k) => !ok(k)).map(({ group, kind }) => ({ group, kind })) };
}

// A namespace's labels come from its Namespace object when the inputs have
// one; otherwise only the label the API server sets on every namespace is
// known: kubernetes.io/metadata.name=<name>.
export { NAMESPACE_NAME_LABEL } from '../../../../crds/src/namespace.js';

/** Labels of a namespace, by name. */
export type NamespaceLabels = (namespace: string) => Record<string, string>;

export function selectorMatches(selector: LabelSelectorSpec, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    const values = e.values ?? [];
    const ok =
      e.operator === 'In' ? has && values.includes(value ?? '')
      : e.operator === 'NotIn' ? !has || !values.includes(value ?? '')
      : e.operator === 'Exists' ? has
      : !has;
    if (!ok) return false;
  }
  return true;
}

/** Does the listener admit routes from `routeNamespace`? A Selector without a selector admits none. */
export function namespaceAllowed(listener: ListenerSpec, gatewayNamespace: string, routeNamespace: string, labelsOf: NamespaceLabels): boolean {
  const { from, selector } = listener.allowedRoutes.namespaces;
  if (from === 'All') return true;
  if (from === 'Same') return routeNamespace === gatewayNamespace;
  return selector !== undefined && selectorMatches(selector, labelsOf(routeNamespace));
}

/** Label keys a selector uses other than the namespace name label: unknowable when no Namespace objects are given. */
export function selectorLabelKeys(selector: LabelSelectorSpec): string[] {
  const keys = [...Object.keys(selector.matchLabels ?? {}), ...(selector.matchExpressions ?? []).map((e) => e.key)];
  return [...new Set(keys.filter((k) => k !== NAMESPACE_NAME_LABEL))].sort();
}
