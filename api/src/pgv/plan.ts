// Per-type validation plans, built lazily from the descriptors and cached by
// protobuf.Type. A plan lists only the fields that can produce a violation:
// fields with (validate.rules), and message/Any fields whose subtree has rules
// somewhere. Most of an Envoy resource (Struct metadata, wrappers without
// rules, deprecated sub-configs) is therefore never walked.
import protobuf from 'protobufjs';
import { asList, bytesKey, toBigInt, toBytes, toNumber } from './values.js';
import { compileKind, enumNumber } from './rules.js';
import { isRuleObject, type Check, type Reporter, type RuleObject } from './core.js';

export const ANY_TYPE = '.google.protobuf.Any';

/** Wrapper types whose scalar rules PGV applies to the wrapped `.value`. */
const WRAPPERS = new Set(
  ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map((n) => `.google.protobuf.${n}Value`),
);

const LIST_FAMILIES = new Set(['message', 'repeated', 'map']);

/** How to check and descend into one value: a singular field, a list item, or a map value. */
export interface ElemPlan {
  check: Check | null;
  /** The check applies to `.value` of a wrapper message. */
  wrapper: boolean;
  msgType: protobuf.Type | null;
  isAny: boolean;
  /** Descend into the message (false for `message.skip` or a subtree without rules). */
  recurse: boolean;
}

export interface FieldPlan {
  name: string;
  /** Path segment, e.g. ".domains". */
  seg: string;
  mode: 'single' | 'repeated' | 'map';
  /** Rules apply only when the field is set (oneof members, proto3 `optional`, proto2 scalars). */
  gated: boolean;
  /** Rule name reported when a required message is absent, or null. */
  required: string | null;
  elem: ElemPlan;
  listCheck: ((items: unknown[], r: Reporter) => void) | null;
  uniqueKey: ((v: unknown) => unknown) | null;
  mapCheck: ((entries: Record<string, unknown>, r: Reporter) => void) | null;
  noSparse: boolean;
  keyCheck: Check | null;
  keyConv: (k: string) => unknown;
}

export interface TypePlan {
  type: protobuf.Type;
  /** (validate.disabled) or (validate.ignored): PGV generates no checks for the message. */
  off: boolean;
  fields: FieldPlan[];
  requiredOneofs: protobuf.OneOf[];
}

function optionOn(o: protobuf.ReflectionObject, name: string): boolean {
  return o.options?.[name] === true;
}

function isOff(t: protobuf.Type): boolean {
  return optionOn(t, '(validate.disabled)') || optionOn(t, '(validate.ignored)');
}

function isRequiredOneof(o: protobuf.OneOf): boolean {
  return optionOn(o, '(validate.required)') && !o.isProto3Optional;
}

/** Deep-merges option fragments, so `(validate.rules).a.b = 1` written twice composes like protoc would. */
function mergeInto(dst: RuleObject, src: RuleObject): void {
  for (const [k, v] of Object.entries(src)) {
    const cur = dst[k];
    if (isRuleObject(cur) && isRuleObject(v)) mergeInto(cur, v);
    else if ((k === 'in' || k === 'not_in') && cur !== undefined) dst[k] = [...asList(cur), ...asList(v)];
    else dst[k] = isRuleObject(v) ? structuredClone(v) : v;
  }
}

/** The field's FieldRules as a plain object, from protobufjs' parsedOptions (or flat options as a fallback). */
export function fieldRules(f: protobuf.Field): RuleObject | null {
  let out: RuleObject | null = null;
  for (const po of f.parsedOptions ?? []) {
    const v: unknown = (po as Record<string, unknown>)['(validate.rules)'];
    if (!isRuleObject(v)) continue;
    out ??= {};
    mergeInto(out, v);
  }
  if (out || !f.options) return out;
  const prefix = '(validate.rules).';
  for (const [key, v] of Object.entries(f.options)) {
    if (!key.startsWith(prefix)) continue;
    out ??= {};
    let node: RuleObject = out;
    const parts = key.slice(prefix.length).split('.');
    parts.forEach((p, i) => {
      if (i === parts.length - 1) mergeInto(node, { [p]: v });
      else {
        const next = node[p];
        node = isRuleObject(next) ? next : (node[p] = {});
      }
    });
  }
  return out;
}

function valueType(f: protobuf.Field): protobuf.Type | null {
  f.resolve();
  return f.resolvedType instanceof protobuf.Type ? f.resolvedType : null;
}

function fieldRulesFamily(rules: RuleObject | null): [string, RuleObject] | null {
  if (!rules) return null;
  for (const [k, v] of Object.entries(rules)) if (!LIST_FAMILIES.has(k) && isRuleObject(v)) return [k, v];
  return null;
}

// ---- which types have anything to check (fixpoint over the type graph) ----

interface OwnInfo {
  own: boolean;
  children: protobuf.Type[];
}
const ownCache = new WeakMap<protobuf.Type, OwnInfo>();
const workCache = new WeakMap<protobuf.Type, boolean>();

function ownInfo(t: protobuf.Type): OwnInfo {
  let info = ownCache.get(t);
  if (info) return info;
  info = { own: false, children: [] };
  if (!isOff(t)) {
    info.own = t.oneofsArray.some(isRequiredOneof);
    for (const f of t.fieldsArray) {
      const sub = valueType(f);
      if (fieldRules(f) || sub?.fullName === ANY_TYPE) info.own = true;
      if (sub) info.children.push(sub);
    }
  }
  ownCache.set(t, info);
  return info;
}

/** True when validating a message of type `t` could report anything (including via Any payloads). */
export function hasWork(t: protobuf.Type): boolean {
  const known = workCache.get(t);
  if (known !== undefined) return known;
  const nodes: protobuf.Type[] = [t];
  const seen = new Set<protobuf.Type>(nodes);
  for (let i = 0; i < nodes.length; i++) {
    for (const c of ownInfo(nodes[i] as protobuf.Type).children) {
      if (!seen.has(c) && !workCache.has(c)) {
        seen.add(c);
        nodes.push(c);
      }
    }
  }
  const work = new Map<protobuf.Type, boolean>(nodes.map((n) => [n, ownInfo(n).own]));
  for (let changed = true; changed; ) {
    changed = false;
    for (const n of nodes) {
      if (work.get(n)) continue;
      if (ownInfo(n).children.some((c) => workCache.get(c) ?? work.get(c))) {
        work.set(n, true);
        changed = true;
      }
    }
  }
  for (const [n, w] of work) workCache.set(n, w);
  return work.get(t) === true;
}

// ---- plans ----

function compileElem(rules: RuleObject | null, f: protobuf.Field, sub: protobuf.Type | null): ElemPlan {
  const family = fieldRulesFamily(rules);
  const msgRules = rules && isRuleObject(rules['message']) ? rules['message'] : null;
  const enumType = f.resolvedType instanceof protobuf.Enum ? f.resolvedType : null;
  const check = family ? compileKind(family[0], family[1], enumType) : null;
  const isAny = sub?.fullName === ANY_TYPE;
  return {
    check,
    wrapper: sub !== null && WRAPPERS.has(sub.fullName),
    msgType: sub,
    isAny,
    recurse: sub !== null && msgRules?.['skip'] !== true && (isAny || hasWork(sub)),
  };
}

function uniqueKeyFor(f: protobuf.Field): (v: unknown) => unknown {
  if (f.type === 'bytes') return (v) => bytesKey(toBytes(v));
  if (f.long) return (v) => toBigInt(v);
  if (f.resolvedType instanceof protobuf.Enum) {
    const e = f.resolvedType;
    return (v) => enumNumber(e, v);
  }
  return (v) => v;
}

function compileRepeated(r: RuleObject): FieldPlan['listCheck'] {
  const min = r['min_items'] != null ? toNumber(r['min_items']) : undefined;
  const max = r['max_items'] != null ? toNumber(r['max_items']) : undefined;
  if (min === undefined && max === undefined) return null;
  const ignoreEmpty = r['ignore_empty'] === true;
  return (items, rep) => {
    if (ignoreEmpty && items.length === 0) return;
    if (min !== undefined && items.length < min) rep.report('repeated.min_items', `value must contain at least ${min} item(s)`);
    if (max !== undefined && items.length > max) rep.report('repeated.max_items', `value must contain no more than ${max} item(s)`);
  };
}

function compileMap(r: RuleObject): FieldPlan['mapCheck'] {
  const min = r['min_pairs'] != null ? toNumber(r['min_pairs']) : undefined;
  const max = r['max_pairs'] != null ? toNumber(r['max_pairs']) : undefined;
  if (min === undefined && max === undefined) return null;
  const ignoreEmpty = r['ignore_empty'] === true;
  return (entries, rep) => {
    const n = Object.keys(entries).length;
    if (ignoreEmpty && n === 0) return;
    if (min !== undefined && n < min) rep.report('map.min_pairs', `value must contain at least ${min} pair(s)`);
    if (max !== undefined && n > max) rep.report('map.max_pairs', `value must contain no more than ${max} pair(s)`);
  };
}

/** Map keys arrive as object keys (strings); key rules want the typed value. */
function keyConverter(keyType: string): (k: string) => unknown {
  if (keyType === 'bool') return (k) => k === 'true';
  if (keyType === 'string') return (k) => k;
  if (/64$/.test(keyType)) return (k) => toBigInt(k) ?? 0n;
  return (k) => Number(k);
}

function compileField(f: protobuf.Field): FieldPlan | null {
  const rules = fieldRules(f);
  const sub = valueType(f);
  const mode: FieldPlan['mode'] = f.map ? 'map' : f.repeated ? 'repeated' : 'single';
  const plan: FieldPlan = {
    name: f.name,
    seg: `.${f.name}`,
    mode,
    gated: false,
    required: null,
    elem: compileElem(null, f, sub),
    listCheck: null,
    uniqueKey: null,
    mapCheck: null,
    noSparse: false,
    keyCheck: null,
    keyConv: (k) => k,
  };
  if (mode === 'single') {
    plan.elem = compileElem(rules, f, sub);
    // Oneof members (including proto3 `optional`) are checked only when set, as
    // PGV's generated switch does; proto2 scalars likewise. Other message
    // fields are handled by the null check in the walker.
    plan.gated = f.partOf !== null || (sub === null && f.hasPresence === true);
    const family = fieldRulesFamily(rules);
    const msgRules = rules && isRuleObject(rules['message']) ? rules['message'] : null;
    if (sub && msgRules?.['required'] === true) plan.required = 'message.required';
    else if (sub && family && ['any', 'duration', 'timestamp'].includes(family[0]) && family[1]['required'] === true) {
      plan.required = `${family[0]}.required`;
    }
    const useful = plan.elem.check !== null || plan.elem.recurse || plan.required !== null;
    return useful ? plan : null;
  }
  if (mode === 'repeated') {
    const r = rules && isRuleObject(rules['repeated']) ? rules['repeated'] : null;
    const items = r && isRuleObject(r['items']) ? r['items'] : null;
    plan.elem = compileElem(items, f, sub);
    if (r) {
      plan.listCheck = compileRepeated(r);
      if (r['unique'] === true && sub === null) plan.uniqueKey = uniqueKeyFor(f);
    }
    const useful = plan.elem.check !== null || plan.elem.recurse || plan.listCheck !== null || plan.uniqueKey !== null;
    return useful ? plan : null;
  }
  const r = rules && isRuleObject(rules['map']) ? rules['map'] : null;
  const values = r && isRuleObject(r['values']) ? r['values'] : null;
  const keys = r && isRuleObject(r['keys']) ? r['keys'] : null;
  plan.elem = compileElem(values, f, sub);
  if (r) {
    plan.mapCheck = compileMap(r);
    plan.noSparse = r['no_sparse'] === true;
    const keyFamily = fieldRulesFamily(keys);
    const keyType = f instanceof protobuf.MapField ? f.keyType : 'string';
    if (keyFamily) plan.keyCheck = compileKind(keyFamily[0], keyFamily[1], null);
    plan.keyConv = keyConverter(keyType);
  }
  const useful = plan.elem.check !== null || plan.elem.recurse || plan.mapCheck !== null || plan.noSparse || plan.keyCheck !== null;
  return useful ? plan : null;
}

const planCache = new WeakMap<protobuf.Type, TypePlan>();

export function planFor(t: protobuf.Type): TypePlan {
  let plan = planCache.get(t);
  if (plan) return plan;
  const off = isOff(t);
  plan = { type: t, off, fields: [], requiredOneofs: [] };
  // Cache before compiling fields so recursive types terminate.
  planCache.set(t, plan);
  if (!off) {
    plan.requiredOneofs = t.oneofsArray.filter(isRequiredOneof);
    for (const f of t.fieldsArray) {
      const fp = compileField(f);
      if (fp) plan.fields.push(fp);
    }
  }
  return plan;
}
