// Shared by the crds tests: parse a document and get either the object or the
// `path: message` pairs of its errors, which is what the assertions care about.
import assert from 'node:assert/strict';
import { parseObject } from './parse.js';
import type { KubeObject } from './resources.js';

export function parseOk(doc: unknown): KubeObject {
  const r = parseObject(doc, { file: 't.yaml', index: 0 });
  if (!r.ok) assert.fail(`expected valid, got:\n${r.errors.map((e) => `${e.path}: ${e.message}`).join('\n')}`);
  return r.object;
}

/** `path: message` of every error; fails when the document is valid. */
export function parseErrors(doc: unknown): string[] {
  const r = parseObject(doc, { file: 't.yaml', index: 0 });
  if (r.ok) assert.fail('expected errors, document was accepted');
  return r.errors.map((e) => `${e.path}: ${e.message}`);
}

/** Asserts that some error is at `path` and its message contains `fragment`. */
export function assertError(errors: string[], path: string, fragment: string): void {
  assert.ok(
    errors.some((e) => e.startsWith(`${path}: `) && e.includes(fragment)),
    `no error at ${path} containing ${JSON.stringify(fragment)}; got:\n${errors.join('\n')}`,
  );
}
