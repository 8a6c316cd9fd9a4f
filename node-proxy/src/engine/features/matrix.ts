// The allowlist as a Markdown feature matrix: one row per implemented field
// (or per message, for messages read whole or that must be empty).
import type { Enum, Type } from 'protobufjs';
import { envoyRoot } from '../../../../api/src/protos.js';
import { ALLOWLIST, messageOfKey, type Allowlist, type FieldRule } from './allowlist.js';

const NO_TEST = 'no test yet';

/**
 * A proof as a reader can follow it: the test's name in quotes, then its file
 * from the repository root ("path: name" in the allowlist). Not a link: the
 * table is embedded in READMEs at different depths.
 */
export function proofCell(proof: string | undefined): string {
  if (proof === undefined) return NO_TEST;
  const sep = proof.indexOf(': ');
  if (sep < 0) return proof;
  const file = proof.slice(0, sep).trim();
  const test = proof.slice(sep + 2).trim();
  return `“${test}” (\`${file}\`)`;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function short(name: string): string {
  return name.slice(name.lastIndexOf('.', name.indexOf('#') < 0 ? undefined : name.indexOf('#')) + 1);
}

function fieldType(message: string, field: string): Type | Enum | null {
  const f = envoyRoot().lookupType(message).fields[field];
  if (!f) return null;
  f.resolve();
  return f.resolvedType;
}

function allowed(allowlist: Allowlist, key: string, field: string, rule: FieldRule): string {
  const parts: string[] = [];
  if (rule.enum) parts.push(rule.enum.join(', '));
  if (rule.keys) parts.push(`keys: ${rule.keys.join(', ')}`);
  if (rule.extensions) parts.push(`extensions: ${rule.extensions.join(', ')}`);
  if (!rule.enum && !rule.extensions) {
    const t = fieldType(messageOfKey(key), field);
    const target = t && !('values' in t) ? (rule.rule ?? t.fullName.slice(1)) : undefined;
    // Plain data read whole (Duration, wrappers) is named, not expanded.
    if (target) parts.push(allowlist[target]?.anyField ? short(target) : `fields of ${short(target)}`);
  }
  if (rule.value) parts.push(rule.value.describe);
  if (rule.note) parts.push(rule.note);
  return parts.join('; ') || 'any value';
}

/** The Markdown table: message, field, allowed values/extensions, proof. */
export function renderMatrix(allowlist: Allowlist = ALLOWLIST): string {
  const rows = ['| Message | Field | Allowed | Proof |', '| --- | --- | --- | --- |'];
  const row = (...cells: string[]) => rows.push(`| ${cells.map(cell).join(' | ')} |`);
  for (const [key, rule] of Object.entries(allowlist)) {
    const msg = `\`${key}\``;
    const fields = Object.entries(rule.fields ?? {});
    if (rule.anyField) row(msg, '*', ['every field', rule.note].filter(Boolean).join('; '), proofCell(rule.proof));
    else if (fields.length === 0) row(msg, '—', ['must be empty', rule.note].filter(Boolean).join('; '), proofCell(rule.proof));
    for (const [f, fr] of fields) row(msg, `\`${f}\``, allowed(allowlist, key, f, fr), proofCell(fr.proof ?? rule.proof));
  }
  return `${rows.join('\n')}\n`;
}
