// Extensions the engine implements whose protos api/proto-files.json does not
// list (nothing the mesh translator emits uses them yet). Without them the
// shared Root cannot decode an RBAC filter or an access logger inside an Any,
// so the check could only NACK them. Loaded into the shared Root, additively
// and once, so decodeMessage and the test helpers see the same descriptors.
// Once api/proto-files.json lists these files, this becomes a no-op.
import { envoyRoot } from '../../../../api/src/protos.js';

export const FEATURE_PROTO_FILES: readonly string[] = [
  'envoy/extensions/filters/network/rbac/v3/rbac.proto',
  'envoy/extensions/filters/http/rbac/v3/rbac.proto',
  'envoy/extensions/access_loggers/stream/v3/stream.proto',
  'envoy/extensions/access_loggers/file/v3/file.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
];

let loaded = false;

export function ensureFeatureProtos(): void {
  if (loaded) return;
  const root = envoyRoot();
  // protobufjs skips files the Root already holds, so a later proto-files.json
  // entry for any of these costs nothing here.
  root.loadSync([...FEATURE_PROTO_FILES], { keepCase: true });
  root.resolveAll();
  loaded = true;
}
