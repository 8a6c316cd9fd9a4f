// Golden tests: testdata/translate/bind-conflicts/<case>.in.yaml → which
// gateway keeps which port of the node proxy, the status of the losers and
// the errors. UPDATE_GOLDEN=1 rewrites the goldens and prunes stale ones.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { formatConfigError } from '../../../crds/src/errors.js';
import { describeGoldens } from '../testing/golden-inputs.js';
import { assignGatewayBinds } from './bind-conflicts.js';
import { translateGatewayApi } from './gateway-api/index.js';
import { translateIngress } from './ingress/index.js';
import { translateResources } from './kubernetes/index.js';

const dir = fileURLToPath(new URL('../../testdata/translate/bind-conflicts/', import.meta.url));

describeGoldens('assignGatewayBinds goldens', dir, ['gateway-vs-gateway-vs-ingress'], ({ resources, errors: loadErrors }) => {
  const { model } = translateResources(resources, { trustDomain: 'mesh.example', clusterDomain: 'cluster.local' });
  const gw = translateGatewayApi(resources, model);
  const ing = translateIngress(resources, model);
  const r = assignGatewayBinds(resources, gw.gateways, ing.gateways, gw.statuses, ing.statuses);
  // Every (transport, port) is bound by one gateway only.
  const binds = r.gateways.flatMap((g) => g.ports.map((p) => `${p.protocol === 'UDP' ? 'UDP' : 'TCP'}/${p.port}`));
  assert.equal(new Set(binds).size, binds.length);
  return {
    ports: r.gateways.map((g) => ({ gateway: `${g.namespace}/${g.name}`, addresses: g.addresses, ports: g.ports.map((p) => `${p.protocol} ${p.port}`) })),
    gatewayListeners: r.gatewayStatuses.filter((s) => s.kind === 'Gateway').map((s) => ({ gateway: `${s.namespace}/${s.name}`, listeners: s.listeners?.map((l) => ({ name: l.name, programmed: l.conditions.find((c) => c.type === 'Programmed') })) })),
    ingress: r.ingressStatuses,
    errors: [...loadErrors, ...r.errors.map(formatConfigError)],
  };
});
