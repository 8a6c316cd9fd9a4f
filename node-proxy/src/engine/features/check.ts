// The engine's "can I honour this?" for one xDS resource: walks the decoded
// message against the allowlist, through nested Any (filters, transport
// sockets, protocol options), and returns every problem with its field path.
// The xDS client NACKs a response when any resource yields a problem.
import type { Enum, Field, Type } from 'protobufjs';
import { decodeMessage } from '../../../../api/src/any.js';
import { messageType } from '../../../../api/src/protos.js';
import { messageName, type ResourceTypeUrl } from '../../../../api/src/type-urls.js';
import type { Decoded } from '../types.js';
import { ALLOWLIST, messageOfKey, type Allowlist, type FieldRule } from './allowlist.js';

const NOT_IMPLEMENTED = 'is not implemented by the embedded engine';
const ANY = 'google.protobuf.Any';

/** Every reason the engine cannot honour `message`, a resource of `typeUrl`; empty when it can. */
export function checkResource(typeUrl: ResourceTypeUrl, message: Decoded, options: CheckOptions = {}): string[] {
  return checkMessage(messageName(typeUrl), message, options);
}

export interface CheckOptions {
  /** Defaults to the engine's ALLOWLIST. */
  allowlist?: Allowlist;
  /** Called for every table entry reached and every allowed field set (for coverage in tests). */
  visit?: (key: string, field?: string) => void;
}

/** Checks `message` against the table entry `key` (a message full name, or a `#variant` of one). */
export function checkMessage(key: string, message: Decoded, options: CheckOptions = {}): string[] {
  const out: string[] = [];
  new Walker(options.allowlist ?? ALLOWLIST, out, options.visit).message(key, message, '');
  return out;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function at(path: string): string {
  return path ? `${path}: ` : '';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

function isEnum(t: Type | Enum | null): t is Enum {
  return t !== null && 'values' in t;
}

class Walker {
  constructor(
    private readonly table: Allowlist,
    private readonly out: string[],
    private readonly visit: CheckOptions['visit'],
  ) {}

  message(key: string, obj: Decoded, path: string): void {
    const name = messageOfKey(key);
    const rule = this.table[key];
    if (!rule) {
      this.out.push(`${at(path)}message ${name} ${NOT_IMPLEMENTED}`);
      return;
    }
    this.visit?.(key);
    if (rule.anyField) return;
    const type = messageType(name);
    for (const [k, v] of Object.entries(obj)) {
      if (v === undefined || v === null) continue;
      const field = type.fields[k];
      if (!field) {
        // decodeMessage adds each set oneof's name, valued with the member's name.
        if (type.oneofs?.[k]) continue;
        this.out.push(`${join(path, k)}: field ${name}.${k} is unknown to the protos`);
        continue;
      }
      const fieldRule = rule.fields?.[k];
      if (!fieldRule) {
        this.out.push(`${join(path, k)}: field ${name}.${k} ${NOT_IMPLEMENTED}`);
        continue;
      }
      this.visit?.(key, k);
      this.field(field, fieldRule, v, join(path, k));
    }
  }

  private field(field: Field, rule: FieldRule, value: unknown, path: string): void {
    field.resolve();
    if (field.map) {
      if (!isRecord(value)) return;
      for (const [k, v] of Object.entries(value)) {
        const p = `${path}[${k}]`;
        if (rule.keys && !rule.keys.includes(k)) this.out.push(`${p}: key ${k} ${NOT_IMPLEMENTED} (supported: ${rule.keys.join(', ')})`);
        else this.value(field, rule, v, p);
      }
    } else if (field.repeated && Array.isArray(value)) {
      value.forEach((v, i) => this.value(field, rule, v, `${path}[${i}]`));
    } else {
      this.value(field, rule, value, path);
    }
  }

  private value(field: Field, rule: FieldRule, value: unknown, path: string): void {
    const t = field.resolvedType;
    if (isEnum(t)) {
      if (rule.enum && !rule.enum.includes(String(value)))
        this.out.push(`${path}: ${String(value)} ${NOT_IMPLEMENTED} (supported: ${rule.enum.join(', ')})`);
    } else if (t && isRecord(value)) {
      const name = t.fullName.slice(1);
      if (name === ANY) this.any(rule, value, path);
      else this.message(rule.rule ?? name, value, path);
    }
    const reason = rule.value?.check(value);
    if (reason) this.out.push(`${path}: ${reason}`);
  }

  private any(rule: FieldRule, packed: Record<string, unknown>, path: string): void {
    const url = typeof packed.type_url === 'string' ? packed.type_url : '';
    const name = messageName(url);
    // Checked before decoding: an unimplemented extension's proto may not even be loaded.
    if (!rule.extensions?.includes(name)) {
      this.out.push(`${path}: extension ${url || '(empty type_url)'} ${NOT_IMPLEMENTED}`);
      return;
    }
    const bytes = packed.value instanceof Uint8Array ? packed.value : new Uint8Array(0);
    let inner: Decoded;
    try {
      inner = decodeMessage(name, bytes);
    } catch (err) {
      this.out.push(`${path}: cannot decode ${url}: ${(err as Error).message}`);
      return;
    }
    this.message(name, inner, `${path}<${name}>`);
  }
}
