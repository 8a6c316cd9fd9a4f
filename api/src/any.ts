// Encoding Envoy messages, and packing them into google.protobuf.Any.
import { messageToJson } from './json.js';
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
 * Decodes `bytes` of `fullName` as proto3 JSON, like Envoy's config dump:
 * nested Any expanded with "@type", Duration as "5s", wrappers as values.
 * Used by golden files, `/config_dump` and Envoy bootstrap files.
 */
export function decodeForDisplay(fullName: string, bytes: Uint8Array): Record<string, unknown> {
  const type = messageType(fullName);
  return messageToJson(type, type.decode(bytes));
}
