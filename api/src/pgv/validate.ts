// protoc-gen-validate checks over decoded Envoy messages, mirroring what
// Envoy's MessageUtil::validate (with its recursive Any unpacking) rejects
// when a control plane pushes a resource. Rules come from the
// (validate.rules) / (validate.required) / (validate.disabled|ignored)
// options in the protos loaded by envoyRoot(); see plan.ts and rules.ts.
import protobuf from 'protobufjs';
import { envoyRoot } from '../protos.js';
import type { Reporter } from './core.js';
import { anyTypeUrl } from './wkt.js';
import { hasWork, planFor, type ElemPlan, type FieldPlan, type TypePlan } from './plan.js';
import { toBytes } from './values.js';

export interface PgvViolation {
  /** e.g. "filter_chains[0].filters[0].typed_config<envoy.….HttpConnectionManager>.stat_prefix" */
  path: string;
  /** The PGV rule that failed, e.g. "string.min_len", "message.required", "oneof.required". */
  rule: string;
  message: string;
}

type Obj = Record<string, unknown>;

const hasOwn = Object.prototype.hasOwnProperty;

/** Set-ness the way protobufjs' oneof getters define it: an own, non-null property. */
function isSet(msg: Obj, name: string): boolean {
  return hasOwn.call(msg, name) && msg[name] !== undefined && msg[name] !== null;
}

function asObj(v: unknown): Obj | null {
  return typeof v === 'object' && v !== null ? (v as Obj) : null;
}

const typeByUrl = new WeakMap<protobuf.Root, Map<string, protobuf.Type | null>>();

function typeForUrl(root: protobuf.Root, url: string): protobuf.Type | null {
  let byUrl = typeByUrl.get(root);
  if (!byUrl) typeByUrl.set(root, (byUrl = new Map()));
  const cached = byUrl.get(url);
  if (cached !== undefined) return cached;
  const name = url.slice(url.lastIndexOf('/') + 1);
  // Walk the exact path: Namespace.lookup also finds nested types by a bare
  // suffix ("Cluster"), which would validate payloads Envoy cannot unpack.
  let node: protobuf.ReflectionObject | null = root;
  for (const part of name ? name.split('.') : ['']) {
    node = node instanceof protobuf.Namespace ? node.get(part) : null;
    if (!node) break;
  }
  const found = node instanceof protobuf.Type ? node : null;
  // Type URLs come from the validated data, so keep the cache bounded.
  if (byUrl.size < 10_000) byUrl.set(url, found);
  return found;
}

class Walker implements Reporter {
  readonly out: PgvViolation[] = [];
  private readonly segs: string[] = [];

  constructor(private readonly root: protobuf.Root) {}

  report(rule: string, message: string): void {
    const p = this.segs.join('');
    this.out.push({ path: p.startsWith('.') ? p.slice(1) : p, rule, message });
  }

  message(plan: TypePlan, msg: Obj): void {
    if (plan.off) return;
    for (const o of plan.requiredOneofs) this.requiredOneof(o, msg);
    for (const f of plan.fields) {
      this.segs.push(f.seg);
      if (f.mode === 'single') this.single(f, msg);
      else if (f.mode === 'repeated') this.repeated(f, msg[f.name]);
      else this.map(f, msg[f.name]);
      this.segs.pop();
    }
  }

  private requiredOneof(o: protobuf.OneOf, msg: Obj): void {
    // Decoded messages expose the set member through the oneof's virtual
    // property; plain objects usually lack it, so count set members instead.
    const virtual = o.name in msg ? msg[o.name] : undefined;
    const set = typeof virtual === 'string' && o.oneof.includes(virtual) ? 1 : o.oneof.filter((n) => isSet(msg, n)).length;
    if (set === 1) return;
    this.segs.push(`.${o.name}`);
    this.report('oneof.required', set === 0 ? `exactly one of [${o.oneof.join(', ')}] must be set` : `only one of [${o.oneof.join(', ')}] may be set`);
    this.segs.pop();
  }

  private single(f: FieldPlan, msg: Obj): void {
    if (f.gated && !isSet(msg, f.name)) return;
    const v = msg[f.name];
    if (f.elem.msgType && (v === undefined || v === null)) {
      if (f.required) this.report(f.required, 'value is required');
      return;
    }
    this.elem(f.elem, v);
  }

  private elem(e: ElemPlan, v: unknown): void {
    if (e.check) e.check(e.wrapper ? asObj(v)?.['value'] : v, this);
    if (!e.recurse) return;
    const m = asObj(v);
    if (!m) return;
    if (e.isAny) this.any(m);
    else if (e.msgType) this.message(planFor(e.msgType), m);
  }

  private repeated(f: FieldPlan, raw: unknown): void {
    const items = Array.isArray(raw) ? (raw as unknown[]) : [];
    f.listCheck?.(items, this);
    if (f.uniqueKey && items.length > 1) {
      const seen = new Set<unknown>();
      for (let i = 0; i < items.length; i++) {
        const k = f.uniqueKey(items[i]);
        if (seen.has(k)) {
          this.segs.push(`[${i}]`);
          this.report('repeated.unique', 'repeated value must contain unique items');
          this.segs.pop();
        }
        seen.add(k);
      }
    }
    if (!f.elem.check && !f.elem.recurse) return;
    for (let i = 0; i < items.length; i++) {
      this.segs.push(`[${i}]`);
      this.elem(f.elem, items[i]);
      this.segs.pop();
    }
  }

  private map(f: FieldPlan, raw: unknown): void {
    const entries = asObj(raw) ?? {};
    f.mapCheck?.(entries, this);
    if (!f.elem.check && !f.elem.recurse && !f.noSparse && !f.keyCheck) return;
    for (const key of Object.keys(entries)) {
      const v = entries[key];
      this.segs.push(`[${JSON.stringify(key)}]`);
      if (f.keyCheck) {
        // Key failures are told apart from value failures by the rule prefix.
        f.keyCheck(f.keyConv(key), { report: (rule, message) => this.report(`map.keys.${rule}`, message) });
      }
      if (v === undefined || v === null) {
        if (f.noSparse) this.report('map.no_sparse', 'map values must not be unset');
      } else {
        this.elem(f.elem, v);
      }
      this.segs.pop();
    }
  }

  private any(m: Obj): void {
    const url = anyTypeUrl(m);
    if (!url) return;
    const t = typeForUrl(this.root, url);
    // Unknown extension types are Envoy's factory lookup's business, not PGV's.
    if (!t) return;
    let inner: Obj;
    if (hasOwn.call(m, '@type')) {
      if (!hasWork(t)) return;
      // protobufjs' JSON-style Any: the payload's fields sit beside "@type".
      inner = { ...m };
      delete inner['@type'];
    } else {
      try {
        inner = t.decode(toBytes(m['value'])) as unknown as Obj;
      } catch (e) {
        this.report('any.decode', `cannot decode ${t.fullName.slice(1)}: ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
    }
    // Known types are always decoded so malformed payloads are reported even
    // when the type itself has nothing to check.
    if (!hasWork(t)) return;
    this.segs.push(`<${t.fullName.slice(1)}>`);
    this.message(planFor(t), inner);
    this.segs.pop();
  }
}

/**
 * PGV violations of `message` (a decoded protobufjs message or a plain object
 * in protobufjs' field naming) against `type`'s validation options. All
 * violations are returned, not just the first one as Envoy reports.
 */
export function validateMessage(type: protobuf.Type, message: protobuf.Message | Record<string, unknown>): PgvViolation[] {
  const w = new Walker(type.root instanceof protobuf.Root ? type.root : envoyRoot());
  const plan = planFor(type);
  if (!plan.off && (plan.fields.length > 0 || plan.requiredOneofs.length > 0)) {
    w.message(plan, message as unknown as Obj);
  }
  return w.out;
}

/**
 * Decodes `bytes` as the envoyRoot() type named by `typeUrl` (a full type URL
 * or a bare message name) and validates it. An undecodable payload is one
 * `any.decode` violation; a type the protos do not define throws, since that
 * is a caller error rather than a property of the resource.
 */
export function validateAny(typeUrl: string, bytes: Uint8Array): PgvViolation[] {
  const t = typeForUrl(envoyRoot(), typeUrl);
  if (!t) throw new Error(`validateAny: unknown message type ${JSON.stringify(typeUrl)}`);
  let msg: protobuf.Message;
  try {
    msg = t.decode(bytes);
  } catch (e) {
    return [{ path: '', rule: 'any.decode', message: `cannot decode ${t.fullName.slice(1)}: ${e instanceof Error ? e.message : String(e)}` }];
  }
  return validateMessage(t, msg);
}
