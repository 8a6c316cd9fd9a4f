// Inputs of translator golden cases: `<dir>/<case>.in.yaml`, loaded through
// the file provider's own parse and resolve path, so a case sees exactly what
// a user's file would produce (objects and config errors).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { formatConfigError } from '../../../crds/src/errors.js';
import type { Resources } from '../../../crds/src/resources.js';
import { parseFileText } from '../provider/file/documents.js';
import { toResources } from '../provider/file/load.js';
import { resolveScan } from '../provider/file/resolve.js';
import { assertGolden, pruneGoldens, toYaml } from './golden.js';

/** The case names in `dir`, sorted. */
export function goldenCases(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.in.yaml'))
    .map((f) => f.slice(0, -'.in.yaml'.length))
    .sort();
}

export interface GoldenInput {
  resources: Resources;
  /** Config errors of loading the input, formatted. */
  errors: string[];
}

export function loadGoldenInput(dir: string, name: string): GoldenInput {
  const file = `${name}.in.yaml`;
  const documents = parseFileText(file, readFileSync(join(dir, file), 'utf8'));
  const { objects, errors } = resolveScan({ files: [{ file, documents }], failures: [] }, undefined, new Date(0));
  return { resources: toResources(objects), errors: errors.map(formatConfigError) };
}

/**
 * The golden suite of a translator: one test per `<case>.in.yaml` in `dir`
 * comparing `render(input)` with `<case>.out.yaml` (UPDATE_GOLDEN=1 rewrites
 * it), a check that the `required` cases exist, and the pruning of goldens
 * whose input is gone. `render` may assert more (e.g. that the model is valid).
 */
export function describeGoldens(title: string, dir: string, required: readonly string[], render: (input: GoldenInput, name: string) => unknown): void {
  describe(title, () => {
    const cases = goldenCases(dir);
    it('has the required cases', () => {
      for (const c of required) assert.ok(cases.includes(c), `missing case ${c}`);
    });
    const written = new Set<string>();
    for (const name of cases) {
      it(name, () => {
        const out = join(dir, `${name}.out.yaml`);
        written.add(out);
        assertGolden(out, toYaml(render(loadGoldenInput(dir, name), name)));
      });
    }
    it('prunes goldens of removed cases (UPDATE_GOLDEN=1 only)', () => {
      pruneGoldens(dir, (f) => f.endsWith('.out.yaml'), written);
    });
  });
}
