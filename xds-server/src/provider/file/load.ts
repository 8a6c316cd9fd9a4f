// loadDirectory: one-shot load of a configuration directory (nodemesh
// validate, tests). The watching FileProvider uses the same pieces.
import type { ConfigError } from '../../../../crds/src/errors.js';
import { addToResources, emptyResources, type Resources } from '../../../../crds/src/resources.js';
import { contentHash } from './hash.js';
import { resolveScan, type AcceptedObject } from './resolve.js';
import { DirectoryScanner } from './scanner.js';

export interface LoadResult {
  resources: Resources;
  errors: ConfigError[];
  /** The objects in `resources`, sorted by key, with where they came from. */
  objects: AcceptedObject[];
}

export function toResources(objects: readonly AcceptedObject[]): Resources {
  const resources = emptyResources();
  for (const o of objects) addToResources(resources, o.object);
  return resources;
}

/** Identifies the content of a set of objects: equal digests, equal Resources. */
export function resourcesDigest(objects: readonly AcceptedObject[]): string {
  return contentHash(objects.map((o) => [o.key, o.hash]));
}

export async function loadDirectory(dir: string): Promise<LoadResult> {
  const { objects, errors } = resolveScan(await new DirectoryScanner(dir).scan(), undefined, new Date());
  return { resources: toResources(objects), errors, objects };
}
