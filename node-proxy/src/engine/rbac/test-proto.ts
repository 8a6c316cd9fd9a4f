// Test support: api/proto-files.json does not list envoy/config/rbac/v3/rbac.proto
// yet, so the shared Root cannot encode RBAC messages. This loads it into a
// Root of its own and round-trips with decodeMessage's exact options, so tests
// see the shape the xDS client will hand over once the proto is listed.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import protobuf from 'protobufjs';
import { PROTO_INCLUDE_DIRS } from '../../../../api/src/protos.js';
import type { Decoded } from '../types.js';

const require = createRequire(import.meta.url);
const PROTOBUFJS_DIR = dirname(require.resolve('protobufjs/package.json'));
let root: protobuf.Root | undefined;

function rbacRoot(): protobuf.Root {
  if (root) return root;
  const r = new protobuf.Root();
  r.resolvePath = (_origin: string, target: string): string => {
    if (existsSync(target)) return target;
    for (const dir of PROTO_INCLUDE_DIRS) if (existsSync(join(dir, target))) return join(dir, target);
    return join(PROTOBUFJS_DIR, target);
  };
  r.loadSync(['envoy/config/rbac/v3/rbac.proto'], { keepCase: true });
  r.resolveAll();
  return (root = r);
}

/** `message` (a plain object in the proto's keepCase shape) encoded and decoded as `fullName`. */
export function decodedRbac(message: object, fullName = 'envoy.config.rbac.v3.RBAC'): Decoded {
  const type = rbacRoot().lookupType(fullName);
  const bytes = type.encode(type.fromObject(message as Record<string, unknown>)).finish();
  return type.toObject(type.decode(bytes), { enums: String, longs: String, bytes: Buffer, defaults: false, oneofs: true }) as Decoded;
}
