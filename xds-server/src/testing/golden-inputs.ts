// Inputs of translator golden cases: `<dir>/<case>.in.yaml`, loaded through
// the file provider's own parse and resolve path, so a case sees exactly what
// a user's file would produce (objects and config errors).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatConfigError } from '../../../crds/src/errors.js';
import type { Resources } from '../../../crds/src/resources.js';
import { parseFileText } from '../provider/file/documents.js';
import { toResources } from '../provider/file/load.js';
import { resolveScan } from '../provider/file/resolve.js';

/** The case names in `dir`, sorted. */
export function goldenCases(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.in.yaml'))
    .map((f) => f.slice(0, -'.in.yaml'.length))
    .sort();
}

export function loadGoldenInput(dir: string, name: string): { resources: Resources; errors: string[] } {
  const file = `${name}.in.yaml`;
  const documents = parseFileText(file, readFileSync(join(dir, file), 'utf8'));
  const { objects, errors } = resolveScan({ files: [{ file, documents }], failures: [] }, undefined, new Date(0));
  return { resources: toResources(objects), errors: errors.map(formatConfigError) };
}
