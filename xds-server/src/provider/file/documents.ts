// One YAML file → its documents, each parsed with parseObject. Pure (text in,
// results out) so the golden tests load their inputs exactly as the provider
// does.
import { parseAllDocuments } from 'yaml';
import type { ConfigError } from '../../../../crds/src/errors.js';
import { joinFieldPath } from '../../../../crds/src/issues.js';
import { objectKey, parseObject, rawIdentity, rawObjectKey, type RawIdentity } from '../../../../crds/src/parse.js';
import type { KubeObject } from '../../../../crds/src/resources.js';
import { contentHash } from './hash.js';

/** One object-sized unit of a file: a document, or one item of a `kind: List` document. */
export interface DocumentResult {
  file: string;
  /** 0-based document index within the file. */
  index: number;
  /** `items[i]` for an item of a List document, '' otherwise; prefixes error paths. */
  pathPrefix: string;
  /** apiVersion/kind namespace/name read from the raw document, when it names all of them. */
  key?: string;
  /** The validated object; absent when the document has errors. */
  object?: KubeObject;
  /** Content hash of `object` (origin included). */
  hash?: string;
  errors: ConfigError[];
  /**
   * The document is not valid YAML, or does not say which object it is: it
   * cannot prove that an object previously defined in this file is gone.
   */
  unidentified?: true;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function result(file: string, index: number, pathPrefix: string, raw: unknown): DocumentResult {
  const parsed = parseObject(raw, { file, index });
  const key = rawObjectKey(rawIdentity(raw));
  const base: DocumentResult = { file, index, pathPrefix, errors: [], ...(key !== undefined ? { key } : {}) };
  if (parsed.ok) {
    const o = parsed.object;
    return {
      ...base,
      key: objectKey({ apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name }),
      object: o,
      hash: contentHash(o),
    };
  }
  return {
    ...base,
    errors: parsed.errors.map((e) => ({ ...e, path: joinFieldPath(pathPrefix, e.path) })),
    ...(key === undefined ? { unidentified: true as const } : {}),
  };
}

// A document that failed before parseObject could look at it: unidentified
// even if a name could be guessed from its readable part.
function unreadableResult(file: string, index: number, id: RawIdentity, path: string, messages: string[]): DocumentResult {
  return {
    file,
    index,
    pathPrefix: '',
    errors: messages.map((message) => ({ file, index, ...id, path, message, severity: 'error' })),
    unidentified: true,
  };
}

// The yaml library's messages end with ":" and a multi-line excerpt of the
// source; ConfigErrors are one line, and the position is already in the text.
function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/:$/, '');
}

/** Parsed documents of a file, by chunk, for reuse by the next parse of a changed version of it. */
export type ChunkCache = ReadonlyMap<string, DocumentResult[]>;

/**
 * Splits a multi-document YAML file and validates every document. Empty
 * documents are skipped; `kind: List` documents are expanded into their items.
 * YAML 1.2 (the library default) is used, so `yes`/`on` stay strings.
 */
export function parseFileText(file: string, text: string): DocumentResult[] {
  return parseFileTextIncremental(file, text, new Map()).documents;
}

// A line that starts a document: `---` alone or followed by a space. In YAML
// 1.2 such a line always ends the previous document (it cannot occur inside a
// scalar), so the text between two of them is one document on its own.
const DOCUMENT_START = /^---(?=[ \t\r]|$)/gm;

/**
 * parseFileText, reusing the previous parse of every document whose text,
 * position in the file and first line are unchanged: editing one route of a
 * 500-route file re-parses one document, not 500 (the YAML parse dominated
 * the time from a save to the change being served). Files with directives
 * (`%`) or explicit document ends (`...`) are parsed whole, where splitting
 * could change their meaning.
 */
export function parseFileTextIncremental(file: string, text: string, previous: ChunkCache): { documents: DocumentResult[]; cache: ChunkCache } {
  const cache = new Map<string, DocumentResult[]>();
  if (/^(%|\.\.\.(?=[ \t\r]|$))/m.test(text)) return { documents: parseWhole(file, text, 0, 0), cache };
  const starts = [0, ...[...text.matchAll(DOCUMENT_START)].map((m) => m.index).filter((i) => i > 0)];
  const documents: DocumentResult[] = [];
  let index = 0;
  let line = 0;
  starts.forEach((start, k) => {
    const chunk = text.slice(start, starts[k + 1] ?? text.length);
    // The first chunk holds a document only if it has content (not just comments).
    const docs = k === 0 && !/^---/.test(chunk) ? (hasContent(chunk) ? 1 : 0) : 1;
    const key = `${index}:${line}:${chunk}`;
    const reused = previous.get(key);
    const results = reused ?? parseWhole(file, chunk, index, line);
    cache.set(key, results);
    documents.push(...results);
    index += docs;
    line += countLines(chunk);
  });
  return { documents, cache };
}

function hasContent(chunk: string): boolean {
  return chunk.split('\n').some((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
}

function countLines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Parses text that starts at document `firstIndex`, line `startLine` (0-based)
 * of the file. With (0, 0) it parses a whole file in one go: the reference the
 * split parse is tested against.
 */
export function parseWhole(file: string, text: string, firstIndex: number, startLine: number): DocumentResult[] {
  let docs = parseAllDocuments(text);
  // Error messages carry the line; re-parse at the chunk's true position to
  // keep it right (only for the rare chunk with errors).
  if (startLine > 0 && docs.some((d) => d.errors.length > 0)) docs = parseAllDocuments('\n'.repeat(startLine) + text);
  const out: DocumentResult[] = [];
  docs.forEach((doc, i) => {
    const index = firstIndex + i;
    if (doc.errors.length > 0) {
      // What can still be read of the document only names the object in the error.
      let partial: unknown;
      try {
        partial = doc.toJS({ maxAliasCount: 100 });
      } catch {
        partial = undefined;
      }
      out.push(unreadableResult(file, index, rawIdentity(partial), '', doc.errors.map((e) => `YAML syntax error: ${firstLine(e.message)}`)));
      return;
    }
    let raw: unknown;
    try {
      raw = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      // e.g. an alias bomb exceeding maxAliasCount.
      out.push(unreadableResult(file, index, rawIdentity(undefined), '', [`cannot read YAML: ${(err as Error).message}`]));
      return;
    }
    if (raw === null || raw === undefined) return;
    if (isRecord(raw) && raw.kind === 'List' && (raw.apiVersion === 'v1' || raw.apiVersion === undefined)) {
      if (!Array.isArray(raw.items)) {
        out.push(unreadableResult(file, index, { apiVersion: 'v1', kind: 'List', namespace: 'default' }, 'items', ['must be a list of objects']));
        return;
      }
      raw.items.forEach((item, i) => out.push(result(file, index, `items[${i}]`, item)));
      return;
    }
    out.push(result(file, index, '', raw));
  });
  return out;
}
