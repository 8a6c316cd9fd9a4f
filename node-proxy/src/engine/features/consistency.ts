// Checks of the allowlist against the protos, run by the tests: a misspelt
// field or enum value, an enum field without its value list, an Any without
// its extensions or a message field leading to no entry would each make the
// check accept or refuse something by accident rather than by decision.
import type { Enum, Type } from 'protobufjs';
import { envoyRoot } from '../../../../api/src/protos.js';
import { messageName, ALL_TYPE_URLS } from '../../../../api/src/type-urls.js';
import { messageOfKey, type Allowlist, type FieldRule } from './allowlist.js';

const ANY = 'google.protobuf.Any';

function lookup(name: string): Type | undefined {
  try {
    return envoyRoot().lookupType(name);
  } catch {
    return undefined;
  }
}

function isEnum(t: Type | Enum | null): t is Enum {
  return t !== null && 'values' in t;
}

/** Table keys a field of `key` leads to (nested messages and Any extensions). */
function targets(allowlist: Allowlist, key: string): string[] {
  const type = lookup(messageOfKey(key));
  const out: string[] = [];
  for (const [f, rule] of Object.entries(allowlist[key]?.fields ?? {})) {
    const field = type?.fields[f];
    if (!field) continue;
    field.resolve();
    const t = field.resolvedType;
    if (!t || isEnum(t)) continue;
    if (t.fullName.slice(1) === ANY) out.push(...(rule.extensions ?? []));
    else out.push(rule.rule ?? t.fullName.slice(1));
  }
  return out;
}

function fieldProblems(allowlist: Allowlist, key: string, type: Type, f: string, rule: FieldRule): string[] {
  const where = `${key}.${f}`;
  const field = type.fields[f];
  if (!field) return [`${where}: no such field`];
  field.resolve();
  const t = field.resolvedType;
  const out: string[] = [];
  if (rule.keys && !field.map) out.push(`${where}: keys on a field that is not a map`);
  if (isEnum(t)) {
    if (!rule.enum?.length) out.push(`${where}: enum field without its implemented values`);
    for (const v of rule.enum ?? []) if (!(v in t.values)) out.push(`${where}: ${v} is not a value of ${t.fullName.slice(1)}`);
  } else if (rule.enum) out.push(`${where}: enum values on a field that is not an enum`);
  const isAny = t !== null && !isEnum(t) && t.fullName.slice(1) === ANY;
  if (isAny) {
    if (!rule.extensions?.length) out.push(`${where}: Any field without its implemented extensions`);
    for (const ext of rule.extensions ?? []) {
      if (!lookup(ext)) out.push(`${where}: extension ${ext} is not in the loaded protos`);
      if (!allowlist[ext]) out.push(`${where}: extension ${ext} has no entry`);
    }
  } else if (rule.extensions) out.push(`${where}: extensions on a field that is not an Any`);
  if (t && !isEnum(t) && !isAny) {
    const target = rule.rule ?? t.fullName.slice(1);
    if (!allowlist[target]) out.push(`${where}: leads to ${target}, which has no entry`);
    if (messageOfKey(target) !== t.fullName.slice(1)) out.push(`${where}: rule ${target} is not for ${t.fullName.slice(1)}`);
  } else if (rule.rule) out.push(`${where}: rule on a field that is not a message`);
  return out;
}

/** Every inconsistency between `allowlist` and the protos; empty when there is none. */
export function allowlistProblems(allowlist: Allowlist): string[] {
  const out: string[] = [];
  for (const [key, rule] of Object.entries(allowlist)) {
    const type = lookup(messageOfKey(key));
    if (!type) {
      out.push(`${key}: no such message`);
      continue;
    }
    if (rule.anyField && rule.fields) out.push(`${key}: anyField with a field list`);
    for (const [f, fr] of Object.entries(rule.fields ?? {})) out.push(...fieldProblems(allowlist, key, type, f, fr));
  }
  // An entry no resource can reach is dead weight in the matrix, or a missing link.
  const seen = new Set<string>();
  const queue = ALL_TYPE_URLS.map((u) => messageName(u));
  for (let key = queue.pop(); key !== undefined; key = queue.pop()) {
    if (seen.has(key)) continue;
    seen.add(key);
    queue.push(...targets(allowlist, key));
  }
  for (const key of Object.keys(allowlist)) if (!seen.has(key)) out.push(`${key}: no resource leads to this entry`);
  return out;
}
