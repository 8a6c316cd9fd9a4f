// HTTPRoute rule filters → the IR's header modifiers, redirect, rewrite and
// mirrors. ExtensionRef names a custom filter kind; nodemesh implements none,
// and the spec forbids skipping a filter, so such a rule answers 500.
import type { HeaderFilterSpec, HttpRouteFilterSpec, PathModifierSpec } from '../../../../crds/src/gateway-api/httproute-filters.js';
import type { HeaderModifierIR, RedirectIR, UrlRewriteIR } from '../../model/gateway.js';
import { resolveBackend } from './backends.js';
import type { Context } from './context.js';
import type { Problem } from './status.js';

export interface FilterResult {
  requestHeaders?: HeaderModifierIR;
  responseHeaders?: HeaderModifierIR;
  redirect?: RedirectIR;
  rewrite?: UrlRewriteIR;
  mirrors: { cluster: string; percent: number }[];
  /** ExtensionRef filters: the rule must answer 500 rather than skip them. */
  unresolvable: Problem[];
  /** Mirror backends that could not be resolved (the mirror is dropped; the rule still serves). */
  problems: Problem[];
}

function headers(h: HeaderFilterSpec): HeaderModifierIR {
  return { set: h.set.map(({ name, value }) => ({ name, value })), add: h.add.map(({ name, value }) => ({ name, value })), remove: [...h.remove] };
}

function pathModifier(p: PathModifierSpec): { type: 'ReplaceFullPath' | 'ReplacePrefixMatch'; value: string } {
  // The schema guarantees the field that matches the type is set.
  return { type: p.type, value: (p.type === 'ReplaceFullPath' ? p.replaceFullPath : p.replacePrefixMatch) ?? '' };
}

/** `routeKind`: the kind of the route the filters belong to, which a ReferenceGrant for a mirror's backend must name. */
export function translateFilters(ctx: Context, filters: readonly HttpRouteFilterSpec[], routeNamespace: string, path: string, routeKind = 'HTTPRoute'): FilterResult {
  const out: FilterResult = { mirrors: [], unresolvable: [], problems: [] };
  filters.forEach((f, k) => {
    const at = `${path}[${k}]`;
    switch (f.type) {
      case 'RequestHeaderModifier':
        if (f.requestHeaderModifier) out.requestHeaders = headers(f.requestHeaderModifier);
        break;
      case 'ResponseHeaderModifier':
        if (f.responseHeaderModifier) out.responseHeaders = headers(f.responseHeaderModifier);
        break;
      case 'RequestRedirect': {
        const r = f.requestRedirect;
        if (!r) break;
        const redirect: RedirectIR = { statusCode: r.statusCode };
        if (r.scheme !== undefined) redirect.scheme = r.scheme;
        if (r.hostname !== undefined) redirect.hostname = r.hostname;
        if (r.port !== undefined) redirect.port = r.port;
        if (r.path !== undefined) redirect.path = pathModifier(r.path);
        out.redirect = redirect;
        break;
      }
      case 'URLRewrite': {
        const r = f.urlRewrite;
        if (!r) break;
        const rewrite: UrlRewriteIR = {};
        if (r.hostname !== undefined) rewrite.hostname = r.hostname;
        if (r.path !== undefined) rewrite.path = pathModifier(r.path);
        out.rewrite = rewrite;
        break;
      }
      case 'RequestMirror': {
        const m = f.requestMirror;
        if (!m) break;
        const resolved = resolveBackend(ctx, m.backendRef, routeNamespace, `${at}.requestMirror.backendRef`, routeKind);
        if (!resolved.ok) {
          out.problems.push({ ...resolved.problem, message: `${resolved.problem.message}; the mirror is dropped` });
          break;
        }
        const percent = m.percent ?? (m.fraction ? (m.fraction.numerator / m.fraction.denominator) * 100 : 100);
        out.mirrors.push({ cluster: resolved.cluster, percent });
        break;
      }
      case 'ExtensionRef': {
        const e = f.extensionRef;
        out.unresolvable.push({
          reason: 'InvalidKind',
          message: `ExtensionRef ${e ? `${e.group}/${e.kind} ${e.name}` : ''} is not supported (nodemesh implements no extension filters); requests matching this rule get 500`,
          path: `${at}.extensionRef`,
        });
        break;
      }
    }
  });
  return out;
}
