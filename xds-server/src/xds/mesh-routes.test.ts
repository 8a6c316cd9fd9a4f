// GAMMA mesh routes in the xDS translator: the builders' output is exactly
// what protobufjs encodes, the proxyless form is what gRPC accepts, and the
// translator's memo keeps every resource a mesh route change does not touch.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { unknownFields } from '../../../api/src/any.js';
import { TypeUrl } from '../../../api/src/type-urls.js';
import type { MeshModel } from '../model/types.js';
import { INVALID_BACKEND_CLUSTER } from './names.js';
import { proxylessRouteConfig, serviceRouteConfig } from './routes.js';
import { XdsTranslator } from './translator.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../../testdata/xds');
const load = (name: string) => parse(readFileSync(join(dir, `${name}.in.yaml`), 'utf8')) as MeshModel;
const gammaCases = readdirSync(dir).filter((f) => f.startsWith('gamma-') && f.endsWith('.in.yaml')).map((f) => f.slice(0, -'.in.yaml'.length));
const opts = { outboundAddress: '127.0.0.1', outboundPort: 15001 };
const RDS = TypeUrl.RouteConfiguration;

describe('GAMMA mesh routes (xDS)', () => {
  it('emit no field that protobufjs would silently drop, in either profile', () => {
    assert.ok(gammaCases.length >= 5);
    for (const name of gammaCases) {
      const model = load(name);
      for (const m of model.meshRoutes ?? []) {
        const svc = model.services.find((s) => s.namespace === m.namespace && s.name === m.service)!;
        const port = svc.ports.find((p) => p.port === m.port)!;
        const rc = serviceRouteConfig(svc, port, m);
        assert.deepEqual(unknownFields('envoy.config.route.v3.RouteConfiguration', rc), [], name);
        assert.deepEqual(unknownFields('envoy.config.route.v3.RouteConfiguration', proxylessRouteConfig(rc)), [], name);
      }
    }
  });

  it('the proxyless form keeps the same paths and turns HTTP-only actions into a failing route', () => {
    const rc = proxylessRouteConfig({
      name: 'x',
      virtual_hosts: [
        {
          name: 'x',
          domains: ['*'],
          routes: [
            { name: 'p', match: { path_separated_prefix: '/echo.Echo' }, route: { cluster: 'a' } },
            { name: 'd', match: { prefix: '/' }, direct_response: { status: 500 } },
            { name: 'r', match: { path: '/old' }, redirect: { path_redirect: '/new' } },
          ],
        },
      ],
    });
    const [p, d, r] = rc.virtual_hosts![0]!.routes!;
    assert.equal(p!.match!.path_separated_prefix, undefined);
    const re = new RegExp(p!.match!.safe_regex!.regex!);
    for (const path of ['/echo.Echo', '/echo.Echo/Who']) assert.ok(re.test(path), path);
    for (const path of ['/echo.EchoX/Who', '/echoxEcho/Who', '/other/echo.Echo']) assert.ok(!re.test(path), path);
    assert.deepEqual(d!.route, { cluster: INVALID_BACKEND_CLUSTER });
    assert.equal(d!.direct_response, undefined);
    assert.deepEqual(r!.route, { cluster: INVALID_BACKEND_CLUSTER });
    assert.equal(r!.redirect, undefined);
  });

  it('a mesh route change re-encodes only its service; removing it restores the default bytes', () => {
    const withRoutes = load('gamma-canary-weights');
    const { meshRoutes, ...plain } = withRoutes;
    const t = new XdsTranslator(opts);
    const all = (m: MeshModel) => new Map(Object.values(t.translate(m).envoy).flat().map((r) => [`${r.typeUrl} ${r.name}`, r]));
    const rds = (m: MeshModel) => new Map(t.translate(m).envoy[RDS]!.map((r) => [r.name, r]));
    const first = all(plain);
    const before = rds(plain);
    const second = all(withRoutes);
    const routed = rds(withRoutes);
    const web = 'web.default.svc.cluster.local:8080';
    assert.notEqual(routed.get(web)!.version, before.get(web)!.version, 'web gets the mesh routes');
    for (const [key, r] of first) {
      if (key === `${RDS} ${web}`) continue;
      // Other services: the same objects. web's other resources: re-encoded with it, byte-identical.
      if (r.name.includes('web.default') || r.name === '10.96.0.10_8080') assert.equal(second.get(key)!.version, r.version, key);
      else assert.equal(second.get(key), r, `${key} is reused`);
    }

    // Same Service objects (the identity memo), changed routes: must not serve the stale ones.
    const changed = structuredClone(meshRoutes!);
    const action = changed[0]!.routes[0]!.action;
    if (action.kind === 'forward') action.backends[0]!.weight = 50;
    const again = rds({ ...withRoutes, meshRoutes: changed });
    assert.notEqual(again.get(web)!.version, routed.get(web)!.version);
    assert.equal(rds(withRoutes).get(web)!.version, routed.get(web)!.version, 'content-hash versions: same routes, same version');
    assert.equal(rds(plain).get(web)!.version, before.get(web)!.version, 'without routes, the default route again');
  });
});
