// Where the Envoy binary is: NODEMESH_ENVOY when set (a path, or a name looked
// up on PATH), else `envoy` on PATH. No Envoy can be installed on the build
// machines, so callers must handle "none" (tests skip, the CLI explains).
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export function findEnvoy(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const wanted = env.NODEMESH_ENVOY || 'envoy';
  if (wanted.includes('/')) return isExecutableFile(wanted) ? wanted : undefined;
  // POSIX: an empty PATH entry means the current directory.
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir || '.', wanted);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
