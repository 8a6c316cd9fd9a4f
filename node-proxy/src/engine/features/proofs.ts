// The `proof` references of the allowlist: each must name a test file that
// exists and a test in it, so the feature matrix never cites a missing test.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Allowlist } from './allowlist.js';

/** The repository root, which proof paths are relative to. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../..');

export interface ProofRef {
  /** Where in the allowlist: `Message` or `Message.field`. */
  entry: string;
  proof: string;
}

export function proofRefs(allowlist: Allowlist): ProofRef[] {
  const out: ProofRef[] = [];
  for (const [key, rule] of Object.entries(allowlist)) {
    if (rule.proof !== undefined) out.push({ entry: key, proof: rule.proof });
    for (const [f, fr] of Object.entries(rule.fields ?? {})) if (fr.proof !== undefined) out.push({ entry: `${key}.${f}`, proof: fr.proof });
  }
  return out;
}

// The first argument of it()/test()/describe(): a quoted name. Template
// literals with substitutions are not names a proof can quote reliably.
const TEST_CALL = /\b(?:it|test|describe)(?:\.(?:only|skip|todo))?\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g;

/** The test names declared in a test file's source. */
export function testNames(source: string): string[] {
  return [...source.matchAll(TEST_CALL)].map((m) => m[2]!.replace(/\\(.)/g, '$1'));
}

/** Every proof that is malformed, names a missing file, or names no test of that file. */
export function proofProblems(allowlist: Allowlist, root: string = REPO_ROOT): string[] {
  const out: string[] = [];
  const names = new Map<string, string[]>();
  for (const { entry, proof } of proofRefs(allowlist)) {
    const sep = proof.indexOf(': ');
    const file = sep < 0 ? '' : proof.slice(0, sep).trim();
    const test = sep < 0 ? '' : proof.slice(sep + 2).trim();
    if (!file.endsWith('.test.ts') || !test) {
      out.push(`${entry}: proof ${JSON.stringify(proof)} is not "path/to/file.test.ts: test name"`);
      continue;
    }
    const path = join(root, file);
    if (!existsSync(path)) {
      out.push(`${entry}: proof file ${file} does not exist`);
      continue;
    }
    let declared = names.get(path);
    if (!declared) names.set(path, (declared = testNames(readFileSync(path, 'utf8'))));
    if (!declared.some((n) => n.includes(test))) out.push(`${entry}: ${file} has no test named like ${JSON.stringify(test)}`);
  }
  return out;
}
