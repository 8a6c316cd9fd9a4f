// Gateway translation beyond the goldens (translator.test.ts renders those):
// every emitted resource passes the protos' validation rules, no field is
// silently dropped, unchanged gateways keep their encoded resources, and the
// spec's ReplacePrefixMatch table holds under Envoy's rewrite semantics.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { unknownFields } from '../../../api/src/any.js';
import type { Route } from '../../../api/src/generated/envoy/config/route/v3/Route.js';
import { validateAny } from '../../../api/src/pgv/validate.js';
import { messageName, TypeUrl, type ResourceTypeUrl } from '../../../api/src/type-urls.js';
import type { EncodedResource } from '../cache/resource.js';
import { Snapshot } from '../cache/snapshot.js';
import type { GatewayIR, HttpRouteIR } from '../model/gateway.js';
import type { MeshModel } from '../model/types.js';
import { gatewayRoute } from './gateway-routes.js';
import { gatewayResources } from './gateways.js';
import { PROFILES, XdsTranslator, type ResourcesByType } from './translator.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../../testdata/xds');
const cases = readdirSync(dir).filter((f) => f.endsWith('.in.yaml')).map((f) => f.slice(0, -'.in.yaml'.length));
const load = (name: string) => parse(readFileSync(join(dir, `${name}.in.yaml`), 'utf8')) as MeshModel;
const opts = { outboundAddress: '127.0.0.1', outboundPort: 15001 };
const all = (out: ResourcesByType): EncodedResource[] => Object.values(out).flat();
const byName = (out: ResourcesByType, t: ResourceTypeUrl, name: string) => out[t]?.find((r) => r.name === name);

describe('gateway translation', () => {
  it('emits resources that pass the protos validation rules, for every golden case', () => {
    for (const name of cases) {
      const out = new XdsTranslator(opts).translate(load(name));
      for (const profile of PROFILES)
        for (const r of all(out[profile])) assert.deepEqual(validateAny(r.typeUrl, r.body), [], `${name} ${profile} ${r.name}`);
    }
  });

  it('builds no field that protobufjs would silently drop', () => {
    for (const name of cases)
      for (const gw of load(name).gateways ?? [])
        for (const r of gatewayResources(gw)) assert.deepEqual(unknownFields(messageName(r.typeUrl), r.message), [], `${name}: ${r.name}`);
  });

  it('gives proxyless clients nothing from gateways', () => {
    const m = load('gateway-https-sni');
    const out = new XdsTranslator(opts).translate(m);
    const without = new XdsTranslator(opts).translate({ ...m, gateways: [] });
    assert.deepEqual(all(out.proxyless).map((r) => r.version), all(without.proxyless).map((r) => r.version));
    assert.ok(all(out.envoy).some((r) => r.name.startsWith('gateway|')));
  });

  it('reuses the encoded resources of unchanged gateways and re-encodes only what changed', () => {
    const model = load('gateway-two-addresses');
    const t = new XdsTranslator(opts);
    const first = t.translate(model);
    const changed = structuredClone(model);
    changed.gateways![1]!.ports[0]!.virtualHosts[0]!.routes[0]!.match.path = { type: 'PathPrefix', value: '/shop' };
    const second = t.translate(changed);
    const rds = (o: typeof first, n: string) => byName(o.envoy, TypeUrl.RouteConfiguration, n)!;
    assert.equal(rds(second, 'gateway|infra/edge|8443'), rds(first, 'gateway|infra/edge|8443'), 'edge is unchanged: same object');
    assert.equal(byName(second.envoy, TypeUrl.Secret, 'infra/wildcard'), byName(first.envoy, TypeUrl.Secret, 'infra/wildcard'));
    assert.notEqual(rds(second, 'gateway|team/other|443').version, rds(first, 'gateway|team/other|443').version, 'other changed');
    // The changed gateway's listener is re-encoded with identical bytes, so its version (what Delta compares) holds.
    const l = (o: typeof first) => byName(o.envoy, TypeUrl.Listener, 'gateway|team/other|192.0.2.11:443')!;
    assert.equal(l(second).version, l(first).version);
    assert.ok(t.fresh.every((r) => r.name.startsWith('gateway|team/other') || r.name === 'infra/wildcard'), t.fresh.map((r) => r.name).join());
    const snap = new Snapshot('2', second.envoy, new Snapshot('1', first.envoy));
    assert.deepEqual(snap.consistent(), []);
  });

  it('serves a Secret shared by two gateways once, and keeps the snapshot consistent', () => {
    const out = new XdsTranslator(opts).translate(load('gateway-two-addresses'));
    assert.deepEqual(out.envoy[TypeUrl.Secret]!.map((r) => r.name), ['infra/wildcard']);
    const listeners = out.envoy[TypeUrl.Listener]!.filter((r) => r.name.includes(':8443') || r.name.endsWith(':443'));
    assert.equal(listeners.length, 3);
    for (const r of listeners) assert.deepEqual(r.refs.secrets, ['infra/wildcard']);
    assert.deepEqual(new Snapshot('1', out.envoy).consistent(), []);
  });

  it('emits neither a listener nor a route configuration for an HTTPS port without a usable certificate', () => {
    const gw = load('gateway-https-sni').gateways![0]!;
    const names = gatewayResources(gw).map((r) => r.name);
    assert.ok(!names.some((n) => n.endsWith('9443')), names.join());
    const none: GatewayIR = { ...gw, ports: [{ ...gw.ports[1]!, certificates: [{ hostnames: ['a.example'], certs: [] }] }] };
    assert.deepEqual(gatewayResources(none), []);
  });
});

// The table in the Gateway API's HTTPPathModifier documentation, plus the
// root prefix: [request path, PathPrefix match, replacement, forwarded path].
const PREFIX_TABLE: [string, string, string, string][] = [
  ['/foo/bar', '/foo', '/xyz', '/xyz/bar'],
  ['/foo/bar', '/foo', '/xyz/', '/xyz/bar'],
  ['/foo/bar', '/foo/', '/xyz', '/xyz/bar'],
  ['/foo/bar', '/foo/', '/xyz/', '/xyz/bar'],
  ['/foo', '/foo', '/xyz', '/xyz'],
  ['/foo/', '/foo', '/xyz', '/xyz/'],
  ['/foo/bar', '/foo', '', '/bar'],
  ['/foo/', '/foo', '', '/'],
  ['/foo', '/foo', '', '/'],
  ['/foo/', '/foo', '/', '/'],
  ['/foo', '/foo', '/', '/'],
  ['/foo/bar', '/', '/xyz', '/xyz/foo/bar'],
  ['/foo/bar', '/', '/', '/foo/bar'],
];

/** Envoy's routing of one path through a route: whether it matches, and the path forwarded or redirected to. */
function envoyRewrite(route: Route, path: string): string | undefined {
  const m = route.match!;
  const sep = m.path_separated_prefix;
  if (sep !== undefined && path !== sep && !path.startsWith(`${sep}/`)) return undefined;
  if (m.prefix !== undefined && !path.startsWith(m.prefix)) return undefined;
  const a = route.route ?? route.redirect!;
  const matched = sep ?? m.prefix ?? path;
  if (a.prefix_rewrite !== undefined) return a.prefix_rewrite + path.slice(matched.length);
  if (a.regex_rewrite) return path.replace(new RegExp(a.regex_rewrite.pattern!.regex!), a.regex_rewrite.substitution!);
  return path;
}

describe('ReplacePrefixMatch', () => {
  const base = (prefix: string): Omit<HttpRouteIR, 'action'> => ({
    name: 'r',
    source: { kind: 'HTTPRoute', namespace: 'default', name: 'r' },
    match: { path: { type: 'PathPrefix', value: prefix }, headers: [], queryParams: [] },
    mirrors: [],
  });
  for (const [path, prefix, replacement, expected] of PREFIX_TABLE) {
    it(`${path} under ${prefix} with ${JSON.stringify(replacement)} is ${expected}, forwarded and redirected`, () => {
      const path_ = { type: 'ReplacePrefixMatch' as const, value: replacement };
      const forward = gatewayRoute({ ...base(prefix), action: { kind: 'forward', backends: [{ cluster: 'c', weight: 1 }], rewrite: { path: path_ } } });
      const redirect = gatewayRoute({ ...base(prefix), action: { kind: 'redirect', redirect: { path: path_, statusCode: 302 } } });
      assert.equal(envoyRewrite(forward, path), expected);
      assert.equal(envoyRewrite(redirect, path), expected);
    });
  }
});
