// The feature matrix section of node-proxy/README.md, generated from the
// allowlist so the documentation cannot drift from what the engine accepts.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderMatrix } from './matrix.js';
import { REPO_ROOT } from './proofs.js';

export const README_PATH = join(REPO_ROOT, 'node-proxy', 'README.md');
const START = '<!-- feature-matrix:start -->';
const END = '<!-- feature-matrix:end -->';

export function matrixSection(): string {
  return `${START}\n${renderMatrix().trimEnd()}\n${END}`;
}

/** The section as it is in the README now; undefined without the markers. */
export function readmeSection(text = readFileSync(README_PATH, 'utf8')): string | undefined {
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  return a >= 0 && b > a ? text.slice(a, b + END.length) : undefined;
}

export function writeReadmeSection(): void {
  const text = readFileSync(README_PATH, 'utf8');
  const cur = readmeSection(text);
  if (!cur) throw new Error(`${README_PATH} has no ${START} … ${END} markers`);
  writeFileSync(README_PATH, text.replace(cur, matrixSection()));
}
