import type { ControlPlaneStatus } from '../../xds-server/src/control-plane.js';
import { printProxyStatus } from './proxy-status.js';

export async function runStatus(flags: { admin: string; json?: boolean; proxyAdmin?: string }): Promise<void> {
  if (flags.proxyAdmin) {
    if (!(await printProxyStatus(flags.proxyAdmin))) process.exitCode = 2;
    return;
  }
  let status: ControlPlaneStatus;
  try {
    const res = await fetch(`http://${flags.admin}/status`);
    status = (await res.json()) as ControlPlaneStatus;
  } catch (err) {
    console.error(`cannot reach the xds-server admin endpoint at ${flags.admin}: ${(err as Error).message}`);
    process.exitCode = 2;
    return;
  }
  if (flags.json) {
    console.log(JSON.stringify(status, null, 2));
    return;
  }
  console.log(`config:   ${status.configDir}`);
  console.log(`version:  ${status.version ?? '(nothing published yet)'}`);
  for (const [profile, s] of Object.entries(status.snapshots))
    console.log(`snapshot: ${profile} ${s.version} ${Object.entries(s.resources).map(([t, n]) => `${t}=${n}`).join(' ')}`);
  const errors = [...status.configErrors, ...status.translationErrors];
  console.log(`config errors: ${errors.length}`);
  for (const e of errors) console.log(`  ${e}`);
  if (status.lastRejection) {
    console.log(`last rejected update (${status.lastRejection.at}); proxies kept the previous snapshot:`);
    for (const p of status.lastRejection.problems.slice(0, 20)) console.log(`  ${p}`);
  }
  if (status.gatewayApi?.length) {
    console.log('gateway api:');
    for (const o of status.gatewayApi) {
      const conds = [...o.conditions, ...(o.listeners ?? []).flatMap((l) => l.conditions.map((c) => ({ ...c, type: `${l.name}/${c.type}` }))), ...(o.parents ?? []).flatMap((p) => p.conditions.map((c) => ({ ...c, type: `${p.parentRef.name}/${c.type}` })))];
      const bad = conds.filter((c) => (c.status === 'False') !== (c.type.endsWith('Conflicted')));
      console.log(`  ${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}: ${bad.length ? 'problems' : 'ok'}`);
      for (const c of bad) console.log(`    ${c.type}=${c.status} ${c.reason}: ${c.message}`);
    }
  }
  for (const i of status.ingress ?? []) {
    const at = i.loadBalancer.ingress.map((x) => x.ip).join(', ') || 'not served';
    console.log(`  Ingress ${i.namespace}/${i.name}: ${at}${i.errors.length ? '' : ', ok'}`);
    for (const e of i.errors) console.log(`    ${e}`);
  }
  console.log(`clients: ${status.clients.length}`);
  for (const c of status.clients) {
    console.log(`  ${c.node?.id ?? '?'} (${c.protocol}, ${c.group ?? '?'}, since ${c.connectedAt})`);
    for (const [type, t] of Object.entries(c.types)) {
      const state = t.nack ? `NACK of ${t.nack.version}: ${t.nack.message}` : t.ackedVersion === t.sentVersion ? 'in sync' : 'awaiting ACK';
      console.log(`    ${type.padEnd(4)} sent=${t.sentVersion ?? '-'} acked=${t.ackedVersion ?? '-'} ${state}`);
    }
  }
}
