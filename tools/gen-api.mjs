// Generates TypeScript types for the Envoy v3 messages nodemesh emits, from the
// Envoy protos that @grpc/grpc-js-xds ships (deps/). Output is not committed:
// it is derived, and regenerating takes ~2 s (run by `prepare`, `build`, `test`).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const deps = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
const out = join(root, 'api/src/generated');
const bin = join(root, 'node_modules/.bin/proto-loader-gen-types');

export const PROTO_FILES = JSON.parse(
  (await import('node:fs')).readFileSync(join(root, 'api/proto-files.json'), 'utf8'),
);

if (existsSync(out)) rmSync(out, { recursive: true });
mkdirSync(out, { recursive: true });
execFileSync(
  bin,
  [
    '--keepCase', '--longs', 'String', '--enums', 'String', '--defaults', '--oneofs',
    '--includeDirs', join(deps, 'envoy-api'), join(deps, 'xds'), join(deps, 'googleapis'), join(deps, 'protoc-gen-validate'),
    '-O', out, '--grpcLib', '@grpc/grpc-js',
    ...PROTO_FILES,
  ],
  { stdio: 'inherit' },
);
// The generator writes extensionless relative imports; marking the folder CommonJS
// lets NodeNext resolve them while the rest of the repository stays ESM.
writeFileSync(join(out, 'package.json'), '{ "type": "commonjs" }\n');
console.log(`generated Envoy types in ${out}`);
