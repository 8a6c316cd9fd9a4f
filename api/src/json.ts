// Proto3 JSON of decoded Envoy messages, with the well-known types mapped the
// way protobuf's JSON printer (and so Envoy's config loader and config dump)
// does: Duration as "1.5s", wrappers as their value, Struct as JSON, Any
// expanded with "@type". Only fields present on the wire are printed.
import protobuf from 'protobufjs';
import { envoyRoot } from './protos.js';

const WRAPPERS = new Set(
  ['DoubleValue', 'FloatValue', 'Int64Value', 'UInt64Value', 'Int32Value', 'UInt32Value', 'BoolValue', 'StringValue', 'BytesValue'].map(
    (n) => `.google.protobuf.${n}`,
  ),
);

export function messageToJson(type: protobuf.Type, msg: protobuf.Message): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    if (!Object.prototype.hasOwnProperty.call(msg, field.name)) continue;
    const v = (msg as unknown as Record<string, unknown>)[field.name];
    if (v === null || v === undefined) continue;
    field.resolve();
    // Decoded messages carry empty repeated and map fields; absent on the wire.
    if (field.map && Object.keys(v as object).length === 0) continue;
    if (field.repeated && (v as unknown[]).length === 0) continue;
    if (field.map) {
      const m: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) m[k] = valueToJson(field, x);
      out[field.name] = m;
    } else if (field.repeated) {
      out[field.name] = (v as unknown[]).map((x) => valueToJson(field, x));
    } else {
      out[field.name] = valueToJson(field, v);
    }
  }
  return out;
}

function valueToJson(field: protobuf.Field, v: unknown): unknown {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Enum) return rt.valuesById[v as number] ?? v;
  if (rt instanceof protobuf.Type) return wellKnownToJson(rt, v as protobuf.Message);
  if (field.type === 'bytes') return Buffer.from(v as Uint8Array).toString('base64');
  if (typeof v === 'object' && v !== null && 'low' in v) return String(v);
  if (['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64'].includes(field.type)) return String(v);
  return v;
}

function wellKnownToJson(type: protobuf.Type, msg: protobuf.Message): unknown {
  const m = msg as unknown as Record<string, unknown>;
  switch (type.fullName) {
    case '.google.protobuf.Duration': {
      const seconds = BigInt(String(m.seconds ?? 0));
      const nanos = Number(m.nanos ?? 0);
      const frac = nanos ? `.${String(Math.abs(nanos)).padStart(9, '0').replace(/0+$/, '')}` : '';
      return `${seconds}${frac}s`;
    }
    case '.google.protobuf.Timestamp':
      return new Date(Number(String(m.seconds ?? 0)) * 1000 + Math.floor(Number(m.nanos ?? 0) / 1e6)).toISOString();
    case '.google.protobuf.Struct':
      return structJson(m);
    case '.google.protobuf.Value':
      return valueJson(m);
    case '.google.protobuf.ListValue':
      return ((m.values as Record<string, unknown>[] | undefined) ?? []).map(valueJson);
    case '.google.protobuf.Any': {
      const url = String(m.type_url ?? '');
      const inner = envoyRoot().lookup(url.slice(url.lastIndexOf('/') + 1));
      const bytes = (m.value as Uint8Array | undefined) ?? new Uint8Array();
      if (!(inner instanceof protobuf.Type)) return { '@type': url, value: Buffer.from(bytes).toString('base64') };
      const json = wellKnownToJson(inner, inner.decode(bytes));
      return typeof json === 'object' && json !== null && !Array.isArray(json) ? { '@type': url, ...json } : { '@type': url, value: json };
    }
  }
  if (WRAPPERS.has(type.fullName)) {
    const f = type.fields.value!;
    return valueToJson(f, m.value ?? (f.type === 'bool' ? false : f.type === 'string' ? '' : 0));
  }
  return messageToJson(type, msg);
}

function structJson(m: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries((m.fields as Record<string, Record<string, unknown>>) ?? {})) out[k] = valueJson(v);
  return out;
}

function valueJson(v: Record<string, unknown>): unknown {
  if (v.stringValue !== undefined && v.stringValue !== null) return v.stringValue;
  if (v.numberValue !== undefined && v.numberValue !== null) return v.numberValue;
  if (v.boolValue !== undefined && v.boolValue !== null) return v.boolValue;
  if (v.structValue) return structJson(v.structValue as Record<string, unknown>);
  if (v.listValue) return (((v.listValue as Record<string, unknown>).values as Record<string, unknown>[]) ?? []).map(valueJson);
  return null;
}
