// Encoding Envoy messages, and packing them into google.protobuf.Any.
import { messageType } from './protos.js';
import { TYPE_PREFIX } from './type-urls.js';

/** google.protobuf.Any in the keepCase object shape the generated types use. */
export interface PackedAny {
  type_url: string;
  value: Uint8Array;
}

/**
 * Encodes `message` (a generated-type object) as the proto message `fullName`.
 * protobufjs silently drops unknown keys; the generated types catch most
 * misspellings at compile time and `unknownFields()` catches the rest in tests.
 */
export function encodeMessage<T extends object>(fullName: string, message: T): Uint8Array {
  const type = messageType(fullName);
  const created = type.fromObject(message as Record<string, unknown>);
  return type.encode(created).finish();
}

export function packAny<T extends object>(fullName: string, message: T): PackedAny {
  return { type_url: TYPE_PREFIX + fullName, value: encodeMessage(fullName, message) };
}

/** Decodes bytes of `fullName` into a plain keepCase object (enums as names, longs as strings). */
export function decodeMessage(fullName: string, bytes: Uint8Array, oneofs = true): Record<string, unknown> {
  const type = messageType(fullName);
  return type.toObject(type.decode(bytes), { enums: String, longs: String, bytes: Buffer, defaults: false, oneofs }) as Record<
    string,
    unknown
  >;
}

/**
 * Keys of `message` (recursively) that are not fields of `fullName`: what
 * fromObject would silently drop. Run by the translator tests over everything
 * they emit, so a misspelt field cannot vanish unnoticed.
 */
export function unknownFields(fullName: string, message: object): string[] {
  const out: string[] = [];
  walk(messageType(fullName), message as Record<string, unknown>, '', out);
  return out;
}

function walk(type: ReturnType<typeof messageType>, obj: Record<string, unknown>, path: string, out: string[]): void {
  for (const [key, value] of Object.entries(obj)) {
    if (value === undefined) continue;
    const field = type.fields[key];
    if (!field) {
      if (!type.oneofs?.[key]) out.push(`${path}${key}`);
      continue;
    }
    field.resolve();
    const sub = field.resolvedType;
    if (!sub || !('fields' in sub) || value === null) continue;
    const subType = sub as ReturnType<typeof messageType>;
    if (subType.fullName === '.google.protobuf.Any') continue;
    if (field.map) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>))
        if (v && typeof v === 'object') walk(subType, v as Record<string, unknown>, `${path}${key}[${k}].`, out);
    } else if (field.repeated) {
      (value as unknown[]).forEach((v, i) => {
        if (v && typeof v === 'object') walk(subType, v as Record<string, unknown>, `${path}${key}[${i}].`, out);
      });
    } else if (typeof value === 'object') {
      walk(subType, value as Record<string, unknown>, `${path}${key}.`, out);
    }
  }
}

/**
 * Decodes `bytes` of `fullName` for people: every nested Any whose type the
 * protos know is expanded in place as { '@type': url, ...fields }, like
 * Envoy's config dump. Used by golden files and `nodemesh status --dump`.
 */
export function decodeForDisplay(fullName: string, bytes: Uint8Array): Record<string, unknown> {
  return expand(decodeMessage(fullName, bytes, false)) as Record<string, unknown>;
}

function expand(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(expand);
  if (v === null || typeof v !== 'object' || Buffer.isBuffer(v)) return Buffer.isBuffer(v) ? v.toString('base64') : v;
  const o = v as Record<string, unknown>;
  if (typeof o.type_url === 'string' && (o.value === undefined || Buffer.isBuffer(o.value))) {
    const name = o.type_url.slice(o.type_url.lastIndexOf('/') + 1);
    const value = (o.value as Buffer | undefined) ?? Buffer.alloc(0);
    try {
      return { '@type': o.type_url, ...(expand(decodeMessage(name, value, false)) as object) };
    } catch {
      return { '@type': o.type_url, value: value.toString('base64') };
    }
  }
  // google.protobuf.Struct as the JSON it stands for.
  if (o.fields && typeof o.fields === 'object' && Object.keys(o).length === 1) return structToJson(o.fields as Record<string, unknown>);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = expand(x);
  return out;
}

function structToJson(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = valueToJson(v as Record<string, unknown>);
  return out;
}

function valueToJson(v: Record<string, unknown>): unknown {
  if ('stringValue' in v) return v.stringValue;
  if ('numberValue' in v) return v.numberValue;
  if ('boolValue' in v) return v.boolValue;
  if ('structValue' in v) return structToJson(((v.structValue as { fields?: Record<string, unknown> }).fields ?? {}));
  if ('listValue' in v) return (((v.listValue as { values?: unknown[] }).values ?? []) as Record<string, unknown>[]).map(valueToJson);
  return null;
}
