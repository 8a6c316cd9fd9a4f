// From one scan (plus, for the watching provider, the previous result) to the
// set of objects in force and the errors to report:
//  - the first definition of an object wins; later duplicates are errors;
//  - an object whose document is now invalid keeps its last valid version,
//    and the document's errors say so;
//  - an object is dropped only when its document is gone. A file that cannot
//    be read, or has a document that does not say which object it is (YAML
//    syntax error, no name), cannot prove that, so its objects are kept too.
import { sep } from 'node:path';
import type { ConfigError } from '../../../../crds/src/errors.js';
import type { KubeObject } from '../../../../crds/src/resources.js';
import type { DocumentResult } from './documents.js';
import type { ScanResult } from './scanner.js';

export interface AcceptedObject {
  /** `apiVersion/kind namespace/name`. */
  key: string;
  object: KubeObject;
  origin: { file: string; index: number };
  /** Content hash of `object`, origin included. */
  hash: string;
  /** When this exact version was first accepted. */
  since: Date;
}

export interface Resolved {
  /** Sorted by key. */
  objects: AcceptedObject[];
  errors: ConfigError[];
}

// The errors of one document (or one unreadable file/directory), and the last
// valid versions kept because of it.
interface ErrorGroup {
  errors: ConfigError[];
  file?: string;
  index?: number;
  key?: string;
  /** Can this group account for objects it does not name? */
  coversPath?: string;
  kept: AcceptedObject[];
}

function covers(path: string, file: string): boolean {
  return file === path || file.startsWith(path.endsWith(sep) ? path : path + sep);
}

function describeKey(o: AcceptedObject): string {
  return `${o.object.apiVersion}/${o.object.kind} ${o.object.metadata.namespace}/${o.object.metadata.name}`;
}

export function resolveScan(scan: ScanResult, previous: ReadonlyMap<string, AcceptedObject> | undefined, now: Date): Resolved {
  const accepted = new Map<string, AcceptedObject>();
  const groups: ErrorGroup[] = [];

  for (const f of scan.failures) groups.push({ errors: [f.error], coversPath: f.path, kept: [] });
  for (const file of scan.files) {
    if (file.readError) groups.push({ errors: [file.readError], file: file.file, coversPath: file.file, kept: [] });
    for (const doc of file.documents) accept(doc, accepted, groups, previous, now);
  }

  if (previous !== undefined) {
    for (const [key, prev] of previous) {
      if (accepted.has(key)) continue;
      const group = groups.find((g) => g.key === key) ?? unidentifiedGroupFor(groups, prev);
      if (group === undefined) continue; // its document is gone
      accepted.set(key, prev);
      group.kept.push(prev);
    }
  }

  const errors: ConfigError[] = [];
  for (const g of groups) {
    if (g.kept.length === 0) {
      errors.push(...g.errors);
      continue;
    }
    const note =
      g.key !== undefined && g.kept.length === 1
        ? `keeping the last valid version from ${g.kept[0]!.since.toISOString()}`
        : `keeping the last valid version of ${g.kept.map((k) => `${describeKey(k)} from ${k.since.toISOString()}`).join(', ')}`;
    const only = g.kept.length === 1 ? g.kept[0]!.object : undefined;
    for (const e of g.errors) {
      const named = e.name === undefined && only !== undefined
        ? { apiVersion: only.apiVersion, kind: only.kind, namespace: only.metadata.namespace, name: only.metadata.name }
        : {};
      errors.push({ ...e, ...named, message: `${e.message}; ${note}` });
    }
  }

  const objects = [...accepted.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { objects, errors };
}

function accept(
  doc: DocumentResult,
  accepted: Map<string, AcceptedObject>,
  groups: ErrorGroup[],
  previous: ReadonlyMap<string, AcceptedObject> | undefined,
  now: Date,
): void {
  const base = { file: doc.file, index: doc.index, kept: [] as AcceptedObject[] };
  if (doc.object === undefined || doc.key === undefined || doc.hash === undefined) {
    groups.push({ ...base, errors: doc.errors, ...(doc.unidentified ? { coversPath: doc.file } : { key: doc.key }) });
    return;
  }
  const first = accepted.get(doc.key);
  if (first !== undefined) {
    const o = doc.object;
    groups.push({
      ...base,
      errors: [
        {
          file: doc.file,
          index: doc.index,
          apiVersion: o.apiVersion,
          kind: o.kind,
          namespace: o.metadata.namespace,
          name: o.metadata.name,
          path: doc.pathPrefix,
          message: `duplicate object: already defined in ${first.origin.file}#${first.origin.index}, which is used; this definition is ignored`,
          severity: 'error',
        },
      ],
    });
    return;
  }
  const prev = previous?.get(doc.key);
  accepted.set(doc.key, {
    key: doc.key,
    object: doc.object,
    origin: { file: doc.file, index: doc.index },
    hash: doc.hash,
    since: prev !== undefined && prev.hash === doc.hash ? prev.since : now,
  });
}

// An unreadable file or directory, or an unidentified document in the file the
// object came from; preferably the document at the object's old position.
function unidentifiedGroupFor(groups: ErrorGroup[], prev: AcceptedObject): ErrorGroup | undefined {
  const candidates = groups.filter((g) => g.coversPath !== undefined && covers(g.coversPath, prev.origin.file));
  return candidates.find((g) => g.index === prev.origin.index) ?? candidates[0];
}
