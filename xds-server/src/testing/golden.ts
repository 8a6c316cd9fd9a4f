// Golden files: compare a rendered output with a file beside the input, or
// rewrite it when UPDATE_GOLDEN=1 (npm run test:golden:update), pruning goldens
// whose input is gone.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';

export const UPDATE = process.env.UPDATE_GOLDEN === '1';

export function toYaml(value: unknown): string {
  return stringify(value, { sortMapEntries: false, lineWidth: 0 });
}

export function assertGolden(path: string, actual: string): void {
  if (UPDATE) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  assert.ok(existsSync(path), `golden ${path} is missing; run npm run test:golden:update`);
  assert.equal(actual, readFileSync(path, 'utf8'), `${path} differs; if the change is intended run npm run test:golden:update and review the diff`);
}

/** Deletes files in `dir` (not recursive) that are goldens no current case wrote. */
export function pruneGoldens(dir: string, isGolden: (file: string) => boolean, keep: ReadonlySet<string>): void {
  if (!UPDATE || !existsSync(dir)) return;
  for (const f of readdirSync(dir)) if (isGolden(f) && !keep.has(join(dir, f))) rmSync(join(dir, f));
}
