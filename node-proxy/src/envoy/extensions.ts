// Envoy extension messages that only the node proxy's bootstrap uses. Their
// protos ship in the vendored envoy-api but are not in api/proto-files.json, so
// they are loaded into the shared Root here, once, before the bootstrap packs
// them: encoding, the bootstrap's JSON (Any expanded with "@type") and the PGV
// validator then all see the real descriptors and rules. Moving these files to
// api/proto-files.json (and so into api/src/generated/) would make this module
// unnecessary.
import { envoyRoot } from '../../../api/src/protos.js';

const FILES = [
  'envoy/extensions/resource_monitors/fixed_heap/v3/fixed_heap.proto',
  'envoy/extensions/resource_monitors/downstream_connections/v3/downstream_connections.proto',
];

export const FIXED_HEAP_CONFIG = 'envoy.extensions.resource_monitors.fixed_heap.v3.FixedHeapConfig';
export const DOWNSTREAM_CONNECTIONS_CONFIG = 'envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig';

/** envoy.extensions.resource_monitors.fixed_heap.v3.FixedHeapConfig (keepCase). */
export interface FixedHeapConfig {
  max_heap_size_bytes?: number | string;
}

/** envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig (keepCase). */
export interface DownstreamConnectionsConfig {
  max_active_downstream_connections?: number | string;
}

let loaded = false;

/** Adds the extension protos to envoyRoot(); files the Root already holds are skipped. */
export function loadBootstrapExtensions(): void {
  if (loaded) return;
  const root = envoyRoot();
  root.loadSync(FILES, { keepCase: true });
  root.resolveAll();
  loaded = true;
}
