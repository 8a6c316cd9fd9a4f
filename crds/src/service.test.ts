import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertError, parseErrors, parseOk } from './test-helpers.js';

function svc(spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'reviews' }) {
  return { apiVersion: 'v1', kind: 'Service', metadata, spec };
}

describe('Service schema', () => {
  it('applies the API server defaults', () => {
    const o = parseOk(svc({ clusterIP: '10.96.0.10', ports: [{ port: 80 }] }));
    assert.equal(o.kind, 'Service');
    if (o.kind !== 'Service') return;
    assert.equal(o.metadata.namespace, 'default');
    assert.equal(o.spec.type, 'ClusterIP');
    assert.deepEqual(o.spec.clusterIPs, ['10.96.0.10']);
    assert.deepEqual(o.spec.ports, [{ name: '', protocol: 'TCP', port: 80, targetPort: 80 }]);
  });

  it('drops unknown fields instead of rejecting them', () => {
    const o = parseOk({ ...svc({ ports: [{ port: 80, bogus: 1 }], sessionAffinity: 'None' }), status: { loadBalancer: {} } });
    assert.ok(!('status' in o));
    if (o.kind === 'Service') assert.ok(!('bogus' in (o.spec.ports[0] ?? {})));
  });

  it('keeps string targetPorts and defaults 0 to the port', () => {
    const o = parseOk(svc({ ports: [{ name: 'http', port: 80, targetPort: 'web' }, { name: 'grpc', port: 90, targetPort: 0 }] }));
    if (o.kind !== 'Service') return assert.fail();
    assert.deepEqual(o.spec.ports.map((p) => p.targetPort), ['web', 90]);
  });

  it('requires a DNS-1035 name and a DNS-1123 label namespace', () => {
    assertError(parseErrors(svc({ ports: [{ port: 80 }] }, { name: '1reviews' })), 'metadata.name', 'DNS-1035 label');
    assertError(parseErrors(svc({ ports: [{ port: 80 }] }, { name: 'a'.repeat(64) })), 'metadata.name', 'no more than 63');
    assertError(parseErrors(svc({ ports: [{ port: 80 }] }, { name: 'r', namespace: 'a.b' })), 'metadata.namespace', 'RFC 1123 label');
    assertError(parseErrors(svc({ ports: [{ port: 80 }] }, {})), 'metadata.name', 'Required value');
  });

  it('checks ports the way the API server does', () => {
    const errs = parseErrors(
      svc({
        ports: [
          { name: 'http', port: 0 },
          { name: 'http', port: 81, protocol: 'HTTP' },
          { port: 82, targetPort: 'much-too-long-name' },
          { name: 'Web', port: 83, targetPort: 70000 },
        ],
      }),
    );
    assertError(errs, 'spec.ports[0].port', 'between 1 and 65535');
    assertError(errs, 'spec.ports[1].protocol', 'Unsupported value: "HTTP"');
    assertError(errs, 'spec.ports[2].targetPort', 'no more than 15 characters');
    assertError(errs, 'spec.ports[3].name', 'RFC 1123 label');
    assertError(errs, 'spec.ports[3].targetPort', 'between 1 and 65535');
  });

  it('allows service port names longer than 15 characters (only targetPort names are IANA_SVC_NAMEs)', () => {
    parseOk(svc({ ports: [{ name: 'http-metrics-endpoint', port: 80 }] }));
  });

  it('requires unique names, names on multi-port services, and unique port+protocol', () => {
    const errs = parseErrors(
      svc({
        ports: [
          { name: 'http', port: 80 },
          { name: 'http', port: 81 },
          { port: 82 },
          { name: 'dns', port: 80 },
        ],
      }),
    );
    assertError(errs, 'spec.ports[1].name', 'Duplicate value: "http"');
    assertError(errs, 'spec.ports[2].name', 'Required value');
    assertError(errs, 'spec.ports[3]', 'Duplicate value: port 80 with protocol TCP');
    parseOk(svc({ ports: [{ name: 'dns', port: 53 }, { name: 'dns-udp', port: 53, protocol: 'UDP' }] }));
  });

  it('requires ports unless headless or ExternalName', () => {
    assertError(parseErrors(svc({})), 'spec.ports', 'Required value');
    parseOk(svc({ clusterIP: 'None' }));
    parseOk(svc({ type: 'ExternalName', externalName: 'db.example.com' }));
  });

  it('checks clusterIP and clusterIPs', () => {
    assertError(parseErrors(svc({ clusterIP: '10.0.0.256', ports: [{ port: 80 }] })), 'spec.clusterIP', 'valid IP address');
    assertError(parseErrors(svc({ clusterIP: '10.0.0.1', clusterIPs: ['10.0.0.2'], ports: [{ port: 80 }] })), 'spec.clusterIPs', 'first value must match');
    assertError(parseErrors(svc({ clusterIPs: ['10.0.0.2'], ports: [{ port: 80 }] })), 'spec.clusterIPs', 'must be empty when');
    assertError(parseErrors(svc({ clusterIP: '10.0.0.1', clusterIPs: ['10.0.0.1', '10.0.0.2'], ports: [{ port: 80 }] })), 'spec.clusterIPs', 'one IP for each IP family');
    assertError(parseErrors(svc({ clusterIP: 'fe80::1%eth0', ports: [{ port: 80 }] })), 'spec.clusterIP', 'valid IP address');
    assertError(
      parseErrors(svc({ clusterIP: '10.0.0.1', clusterIPs: ['10.0.0.1', 'fd00::1'], ipFamilies: ['IPv6', 'IPv4'], ports: [{ port: 80 }] })),
      'spec.clusterIPs[0]',
      'expected an IPv6 value',
    );
    const o = parseOk(svc({ clusterIP: '10.0.0.1', clusterIPs: ['10.0.0.1', 'fd00::1'], ipFamilies: ['IPv4', 'IPv6'], ports: [{ port: 80 }] }));
    if (o.kind === 'Service') assert.deepEqual(o.spec.clusterIPs, ['10.0.0.1', 'fd00::1']);
  });

  it('rejects headless NodePort services, nodePort on ClusterIP, and clusterIP on ExternalName', () => {
    assertError(parseErrors(svc({ type: 'NodePort', clusterIP: 'None', ports: [{ port: 80 }] })), 'spec.clusterIP', "may not be set to 'None'");
    assertError(parseErrors(svc({ ports: [{ port: 80, nodePort: 30080 }] })), 'spec.ports[0].nodePort', "may not be used when `type` is 'ClusterIP'");
    parseOk(svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
    assertError(parseErrors(svc({ type: 'ExternalName', externalName: 'db.example.com', clusterIP: '10.0.0.1' })), 'spec.clusterIP', 'may not be set');
    assertError(parseErrors(svc({ type: 'ExternalName' })), 'spec.externalName', 'Required value');
  });

  it('validates label and selector syntax', () => {
    const errs = parseErrors(svc({ ports: [{ port: 80 }], selector: { app: 'has space' } }, { name: 'r', labels: { '/x': 'y' } }));
    assertError(errs, 'spec.selector.app', 'a valid label must be');
    assertError(errs, 'metadata.labels["/x"]', 'prefix part must be non-empty');
  });
});
