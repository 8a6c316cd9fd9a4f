// envoy.config.core.v3.DataSource: where certificates, keys and CAs come from.
import { readFileSync } from 'node:fs';
import type { Decoded } from '../types.js';

/** The bytes a DataSource names; undefined when it is absent or empty. Throws when a named file or variable cannot be read. */
export function readDataSource(ds: unknown): Buffer | undefined {
  if (!ds || typeof ds !== 'object') return undefined;
  const d = ds as Decoded;
  if (Buffer.isBuffer(d.inline_bytes) && d.inline_bytes.length) return d.inline_bytes;
  if (typeof d.inline_string === 'string' && d.inline_string) return Buffer.from(d.inline_string);
  if (typeof d.filename === 'string' && d.filename) return readFileSync(d.filename);
  if (typeof d.environment_variable === 'string' && d.environment_variable) {
    const v = process.env[d.environment_variable];
    if (v === undefined) throw new Error(`environment variable ${d.environment_variable} is not set`);
    return Buffer.from(v);
  }
  return undefined;
}
