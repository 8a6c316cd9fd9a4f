// Listener allowedRoutes: which namespaces' routes, and which route kinds, a
// listener admits.
import { GATEWAY_API_GROUP } from '../../../../crds/src/gateway-api/common.js';
import type { LabelSelectorSpec, ListenerSpec } from '../../../../crds/src/gateway-api/gateway.js';
import type { RouteGroupKind } from './status.js';

/** Route kinds nodemesh serves per listener protocol (TLS/TCP/UDP routes come later). */
export const ROUTE_KINDS_BY_PROTOCOL: Readonly<Record<string, readonly RouteGroupKind[]>> = {
  HTTP: [{ group: GATEWAY_API_GROUP, kind: 'HTTPRoute' }],
  HTTPS: [{ group: GATEWAY_API_GROUP, kind: 'HTTPRoute' }],
};

/** The listener's supported kinds, and the requested kinds it cannot serve. */
export function routeKinds(listener: ListenerSpec): { supported: RouteGroupKind[]; invalid: RouteGroupKind[] } {
  const servable = ROUTE_KINDS_BY_PROTOCOL[listener.protocol] ?? [];
  const requested = listener.allowedRoutes.kinds;
  if (requested === undefined) return { supported: servable.map((k) => ({ ...k })), invalid: [] };
  const ok = (k: RouteGroupKind) => servable.some((s) => s.group === k.group && s.kind === k.kind);
  return { supported: requested.filter(ok).map(({ group, kind }) => ({ group, kind })), invalid: requested.filter((k) => !ok(k)).map(({ group, kind }) => ({ group, kind })) };
}

// Namespace objects are not part of nodemesh's inputs (the file provider has
// none), so a namespace's labels are unknown except the one the API server
// sets on every namespace: kubernetes.io/metadata.name=<name>. Selectors on
// other labels therefore match no namespace; the translator says so.
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

function namespaceLabels(namespace: string): Record<string, string> {
  return { [NAMESPACE_NAME_LABEL]: namespace };
}

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
export function namespaceAllowed(listener: ListenerSpec, gatewayNamespace: string, routeNamespace: string): boolean {
  const { from, selector } = listener.allowedRoutes.namespaces;
  if (from === 'All') return true;
  if (from === 'Same') return routeNamespace === gatewayNamespace;
  return selector !== undefined && selectorMatches(selector, namespaceLabels(routeNamespace));
}

/** Label keys a selector uses that nodemesh cannot know (see NAMESPACE_NAME_LABEL). */
export function unknowableSelectorKeys(selector: LabelSelectorSpec): string[] {
  const keys = [...Object.keys(selector.matchLabels ?? {}), ...(selector.matchExpressions ?? []).map((e) => e.key)];
  return [...new Set(keys.filter((k) => k !== NAMESPACE_NAME_LABEL))].sort();
}
