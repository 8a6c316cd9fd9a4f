// `nodemesh status --proxy-admin`: what a node proxy (Envoy or the embedded
// engine; both serve Envoy's /config_dump and /ready) has accepted.
interface DumpSection {
  '@type': string;
  dynamic_active_clusters?: { version_info?: string; cluster: { name: string } }[];
  dynamic_endpoint_configs?: { endpoint_config: { cluster_name: string; endpoints?: { lb_endpoints?: unknown[] }[] } }[];
  dynamic_listeners?: { name: string; active_state?: { listener: { address?: { socket_address?: { address?: string; port_value?: number } } } } }[];
  dynamic_route_configs?: { route_config: { name: string; virtual_hosts?: unknown[] } }[];
  dynamic_active_secrets?: { name: string }[];
}

export async function printProxyStatus(admin: string): Promise<boolean> {
  let ready: string;
  let dump: { configs: DumpSection[]; nodemesh_last_rejected?: { typeUrl: string; message: string } };
  try {
    ready = (await (await fetch(`http://${admin}/ready`)).text()).trim();
    dump = (await (await fetch(`http://${admin}/config_dump`)).json()) as typeof dump;
  } catch (err) {
    console.error(`cannot reach the node proxy admin endpoint at ${admin}: ${(err as Error).message}`);
    return false;
  }
  const section = (kind: string) => dump.configs.find((c) => c['@type'].endsWith(`.${kind}`)) ?? ({} as DumpSection);
  console.log(`node proxy ${admin}: ${ready}`);
  for (const l of section('ListenersConfigDump').dynamic_listeners ?? []) {
    const a = l.active_state?.listener.address?.socket_address;
    console.log(`  listener ${l.name} ${a ? `${a.address}:${a.port_value ?? 0}` : ''}`);
  }
  for (const c of section('ClustersConfigDump').dynamic_active_clusters ?? []) console.log(`  cluster  ${c.cluster.name}`);
  for (const e of section('EndpointsConfigDump').dynamic_endpoint_configs ?? [])
    console.log(`  endpoints ${e.endpoint_config.cluster_name}: ${(e.endpoint_config.endpoints ?? []).reduce((n, l) => n + (l.lb_endpoints?.length ?? 0), 0)}`);
  for (const r of section('RoutesConfigDump').dynamic_route_configs ?? []) console.log(`  routes   ${r.route_config.name} (${r.route_config.virtual_hosts?.length ?? 0} virtual hosts)`);
  for (const s of section('SecretsConfigDump').dynamic_active_secrets ?? []) console.log(`  secret   ${s.name}`);
  if (dump.nodemesh_last_rejected) console.log(`  last rejected ${dump.nodemesh_last_rejected.typeUrl}: ${dump.nodemesh_last_rejected.message}`);
  return true;
}
