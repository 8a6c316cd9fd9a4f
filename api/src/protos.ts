// The Envoy v3 protos nodemesh speaks, loaded once with protobufjs from the copy
// that @grpc/grpc-js-xds ships under deps/. One Root serves encoding, decoding,
// the gRPC service definition and the protoc-gen-validate checks, so all of
// them agree on the same descriptors.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);

/** Folder holding envoy-api/, xds/, googleapis/ and protoc-gen-validate/. */
export const PROTO_DEPS_DIR = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');

export const PROTO_INCLUDE_DIRS: readonly string[] = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) =>
  join(PROTO_DEPS_DIR, d),
);

const PROTOBUFJS_DIR = dirname(require.resolve('protobufjs/package.json'));

const here = dirname(fileURLToPath(import.meta.url));
const protoFilesPath = [join(here, '../proto-files.json'), join(here, '../../../api/proto-files.json')].find((p) =>
  existsSync(p),
);
if (!protoFilesPath) throw new Error('api/proto-files.json not found');

/** The proto files whose messages nodemesh emits or reads (api/proto-files.json). */
export const PROTO_FILES: readonly string[] = JSON.parse(readFileSync(protoFilesPath, 'utf8')) as string[];

let cached: protobuf.Root | undefined;

/** The shared, fully resolved Root. Loading takes ~0.5 s, so it is done once. */
export function envoyRoot(): protobuf.Root {
  if (cached) return cached;
  const root = new protobuf.Root();
  root.resolvePath = (origin: string, target: string): string => {
    if (existsSync(target)) return target;
    for (const dir of PROTO_INCLUDE_DIRS) {
      const candidate = join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    // google/protobuf/*.proto come with protobufjs (descriptor.proto as a file).
    return join(PROTOBUFJS_DIR, target);
  };
  root.loadSync([...PROTO_FILES], { keepCase: true });
  root.resolveAll();
  cached = root;
  return root;
}

/** Looks up a message type by its fully qualified name; throws if the protos lack it. */
export function messageType(fullName: string): protobuf.Type {
  return envoyRoot().lookupType(fullName);
}
