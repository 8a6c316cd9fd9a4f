// Golden tests of the xDS translator: testdata/xds/<case>.in.yaml (a
// MeshModel) → out/<case>.<profile>.<type>.yaml, one file per profile and xDS
// type as Envoy Gateway does, decoded from the encoded bytes actually served.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { decodeForDisplay, unknownFields } from '../../../api/src/any.js';
import { messageName, SHORT_NAME, type ResourceTypeUrl } from '../../../api/src/type-urls.js';
import { Snapshot } from '../cache/snapshot.js';
import { validateModel } from '../model/validate.js';
import type { MeshModel } from '../model/types.js';
import { assertGolden, pruneGoldens, toYaml } from '../testing/golden.js';
import { passthroughCluster, serviceCluster } from './clusters.js';
import { serviceLoadAssignment } from './endpoints.js';
import { apiListener, outboundCaptureListener, vipListener } from './listeners.js';
import { serviceRouteConfig } from './routes.js';
import { PROFILES, XdsTranslator } from './translator.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../../testdata/xds');
const outDir = join(dir, 'out');
const cases = readdirSync(dir).filter((f) => f.endsWith('.in.yaml')).map((f) => f.slice(0, -'.in.yaml'.length));
const opts = { outboundAddress: '127.0.0.1', outboundPort: 15001 };

describe('xDS translator goldens', () => {
  const written = new Set<string>();
  for (const name of cases) {
    it(name, () => {
      const model = parse(readFileSync(join(dir, `${name}.in.yaml`), 'utf8')) as MeshModel;
      assert.deepEqual(validateModel(model), [], 'golden inputs are valid models');
      const out = new XdsTranslator(opts).translate(model);
      for (const profile of PROFILES) {
        const snap = new Snapshot('1', out[profile]);
        assert.deepEqual(snap.consistent(), [], `${profile} snapshot is consistent`);
        for (const [typeUrl, resources] of Object.entries(out[profile]) as [ResourceTypeUrl, NonNullable<(typeof out)['envoy'][ResourceTypeUrl]>][]) {
          const rendered = resources.map((r) => decodeForDisplay(messageName(typeUrl), r.body));
          const path = join(outDir, `${name}.${profile}.${SHORT_NAME[typeUrl]}.yaml`);
          written.add(path);
          assertGolden(path, toYaml(rendered));
        }
      }
    });
  }
  it('prunes stale goldens', () => pruneGoldens(outDir, (f) => f.endsWith('.yaml'), written));
});

describe('xDS builders', () => {
  it('emit no field that protobufjs would silently drop', () => {
    for (const name of cases) {
      const model = parse(readFileSync(join(dir, `${name}.in.yaml`), 'utf8')) as MeshModel;
      const check = (type: string, msg: object) => assert.deepEqual(unknownFields(type, msg), [], `${name}: ${type}`);
      check('envoy.config.listener.v3.Listener', outboundCaptureListener('127.0.0.1', 15001));
      check('envoy.config.cluster.v3.Cluster', passthroughCluster());
      for (const svc of model.services)
        for (const port of svc.ports) {
          check('envoy.config.cluster.v3.Cluster', serviceCluster(svc, port));
          check('envoy.config.endpoint.v3.ClusterLoadAssignment', serviceLoadAssignment(svc, port));
          check('envoy.config.route.v3.RouteConfiguration', serviceRouteConfig(svc, port));
          check('envoy.config.listener.v3.Listener', apiListener(svc, port));
          for (const vip of svc.vips) check('envoy.config.listener.v3.Listener', vipListener(svc, port, vip));
        }
    }
  });

  it('reuses the encoded resources of unchanged services', () => {
    const model = parse(readFileSync(join(dir, 'http-tcp-headless.in.yaml'), 'utf8')) as MeshModel;
    const t = new XdsTranslator(opts);
    const first = t.translate(model);
    const changed = structuredClone(model);
    changed.services[1]!.endpoints[0]!.weight = 7;
    const second = t.translate(changed);
    const eds = (o: typeof first) => o.envoy['type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment']!;
    assert.equal(eds(second)[0], eds(first)[0], 'db is unchanged: same object');
    assert.notEqual(eds(second)[1]!.version, eds(first)[1]!.version, 'web changed: new version');
  });
});

describe('access log of the mesh listeners (xds-server --access-log, opt-in)', () => {
  const model = () => parse(readFileSync(join(dir, 'http-tcp-headless.in.yaml'), 'utf8')) as MeshModel;
  const lds = 'type.googleapis.com/envoy.config.listener.v3.Listener' as ResourceTypeUrl;

  it('puts a JSON file access logger on the capture listener and every VIP listener (HTTP and TCP)', () => {
    const out = new XdsTranslator({ ...opts, accessLogPath: '/var/log/nodemesh/access.log' }).translate(model());
    const rendered = out.envoy[lds]!.map((r) => decodeForDisplay(messageName(lds), r.body));
    assertGolden(join(dir, 'access-log', 'http-tcp-headless.envoy.lds.yaml'), toYaml(rendered));
    for (const svc of model().services)
      for (const port of svc.ports)
        for (const vip of svc.vips) assert.deepEqual(unknownFields('envoy.config.listener.v3.Listener', vipListener(svc, port, vip, '/tmp/a.log')), []);
    assert.deepEqual(unknownFields('envoy.config.listener.v3.Listener', outboundCaptureListener('127.0.0.1', 15001, '/tmp/a.log')), []);
  });

  it('is absent by default (the goldens above have none)', () => {
    const out = new XdsTranslator(opts).translate(model());
    for (const r of out.envoy[lds]!) assert.doesNotMatch(JSON.stringify(decodeForDisplay(messageName(lds), r.body)), /access_log/);
  });
});
