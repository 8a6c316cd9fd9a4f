// Header mutations: *_headers_to_add / *_headers_to_remove at one level, and
// applying a list of levels. Within a level Envoy (HeaderParser) removes
// first, then decides every add against the headers as they were before this
// level's adds, then overwrites, then appends. Levels apply in array order.
import type { Decoded, HeaderMutation, Headers } from '../types.js';
import { ConfigRejected, msg, msgs, str, strs, wrappedBool, bool, has } from './fields.js';
import { formatValue, parseFormat, type HeaderFormatContext } from './formatter.js';
import { asciiLower } from './matchers.js';

export type { HeaderFormatContext } from './formatter.js';

export type AppendAction = HeaderMutation['set'][number]['action'];

/** One header to set; `keepEmpty` is HeaderValueOption.keep_empty_value (additive to the contract). */
export type HeaderSet = HeaderMutation['set'][number] & { keepEmpty?: boolean };

const ACTIONS: readonly AppendAction[] = ['APPEND_IF_EXISTS_OR_ADD', 'ADD_IF_ABSENT', 'OVERWRITE_IF_EXISTS_OR_ADD', 'OVERWRITE_IF_EXISTS'];

function checkName(name: string, where: string): void {
  // Envoy refuses to let header mutations touch pseudo-headers or Host.
  if (name.startsWith(':') || name === 'host') throw new ConfigRejected(`${where}: ':-prefixed' or host headers may not be modified (${name})`);
  if (name === '') throw new ConfigRejected(`${where}: empty header name`);
}

/** envoy.config.core.v3.HeaderValueOption → HeaderSet. */
export function compileHeaderValueOption(o: Decoded, where: string): HeaderSet {
  const header = msg(o, 'header');
  const name = asciiLower(str(header, 'key'));
  checkName(name, where);
  const raw = header?.['raw_value'];
  const value = Buffer.isBuffer(raw) && raw.length ? raw.toString('latin1') : str(header, 'value');
  parseFormat(value);
  const appendAction = str(o, 'append_action', 'APPEND_IF_EXISTS_OR_ADD') as AppendAction;
  if (!ACTIONS.includes(appendAction)) throw new ConfigRejected(`${where}: unknown append_action ${appendAction}`);
  let action = appendAction;
  const append = wrappedBool(o, 'append');
  if (append !== undefined) {
    if (appendAction !== 'APPEND_IF_EXISTS_OR_ADD') throw new ConfigRejected(`${where}: Both append and append_action are set and it's not allowed`);
    action = append ? 'APPEND_IF_EXISTS_OR_ADD' : 'OVERWRITE_IF_EXISTS_OR_ADD';
  }
  const set: HeaderSet = { name, value, action };
  if (bool(o, 'keep_empty_value')) set.keepEmpty = true;
  return set;
}

/** The mutation of one level (`<prefix>_headers_to_add` / `_remove` of `d`), or undefined when it has none. */
export function compileLevel(d: Decoded | undefined, prefix: 'request' | 'response', where: string): HeaderMutation | undefined {
  if (!d || (!has(d, `${prefix}_headers_to_add`) && !has(d, `${prefix}_headers_to_remove`))) return undefined;
  const set = msgs(d, `${prefix}_headers_to_add`).map((o) => compileHeaderValueOption(o, where));
  const remove = strs(d, `${prefix}_headers_to_remove`).map(asciiLower);
  for (const r of remove) checkName(r, where);
  if (!set.length && !remove.length) return undefined;
  return { set, remove };
}

function present(v: Headers[string]): boolean {
  return v !== undefined && (!Array.isArray(v) || v.length > 0);
}

/** Applies `mutations` to `headers` in place, in array order. Names in `headers` are lower-case. */
export function applyHeaderMutations(headers: Headers, mutations: readonly HeaderMutation[], ctx: HeaderFormatContext = {}): Headers {
  for (const m of mutations) {
    for (const name of m.remove) delete headers[name];
    const overwrite: [string, string][] = [];
    const add: [string, string][] = [];
    for (const s of m.set as readonly HeaderSet[]) {
      const value = formatValue(s.value, ctx);
      if (value === '' && !s.keepEmpty) continue;
      switch (s.action) {
        case 'APPEND_IF_EXISTS_OR_ADD':
          add.push([s.name, value]);
          break;
        case 'ADD_IF_ABSENT':
          if (!present(headers[s.name])) add.push([s.name, value]);
          break;
        case 'OVERWRITE_IF_EXISTS':
          if (present(headers[s.name])) overwrite.push([s.name, value]);
          break;
        case 'OVERWRITE_IF_EXISTS_OR_ADD':
          overwrite.push([s.name, value]);
          break;
      }
    }
    for (const [name, value] of overwrite) headers[name] = value;
    for (const [name, value] of add) {
      const cur = headers[name];
      headers[name] = cur === undefined ? value : Array.isArray(cur) ? [...cur, value] : [cur, value];
    }
  }
  return headers;
}
