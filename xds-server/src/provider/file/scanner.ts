// Reads and parses the configuration files of a directory, reparsing only
// files whose (mtime, ctime, size, inode) changed since the previous scan, and
// within them only the documents that changed, so an edit to one object in a
// large directory or a large file costs one document's parse.
import { readFile } from 'node:fs/promises';
import type { ConfigError } from '../../../../crds/src/errors.js';
import { parseFileTextIncremental, type ChunkCache, type DocumentResult } from './documents.js';
import { listConfigFiles, type ListedFile } from './list.js';

export interface ScannedFile {
  file: string;
  documents: DocumentResult[];
  /** Set when the file could not be read; its previous objects are kept. */
  readError?: ConfigError;
}

export interface ScanResult {
  files: ScannedFile[];
  /** Directories or files that could not be listed or read. */
  failures: { path: string; error: ConfigError }[];
}

interface CacheEntry {
  stamp: string;
  documents: DocumentResult[];
  chunks: ChunkCache;
}

function stampOf(f: ListedFile): string {
  return `${f.mtimeMs}:${f.ctimeMs}:${f.size}:${f.ino}`;
}

export class DirectoryScanner {
  private cache = new Map<string, CacheEntry>();
  /** Files parsed (not served from cache) by the last scan; for tests and logs. */
  lastParsed: string[] = [];
  /** Whether the last scan saw a new file or a file with a new inode (replaced by a rename). */
  lastNewInodes = false;

  constructor(readonly dir: string) {}

  async scan(): Promise<ScanResult> {
    const listed = await listConfigFiles(this.dir);
    const failures = listed.failures.map(({ path, message }) => ({
      path,
      error: { file: path, path: '', message: `cannot read: ${message}`, severity: 'error' } satisfies ConfigError,
    }));
    const next = new Map<string, CacheEntry>();
    this.lastParsed = [];
    this.lastNewInodes = false;
    const files = await Promise.all(
      listed.files.map(async (f): Promise<ScannedFile> => {
        const stamp = stampOf(f);
        const cached = this.cache.get(f.path);
        if (!cached || cached.stamp.slice(cached.stamp.lastIndexOf(':') + 1) !== String(f.ino)) this.lastNewInodes = true;
        if (cached !== undefined && cached.stamp === stamp) {
          next.set(f.path, cached);
          return { file: f.path, documents: cached.documents };
        }
        let text: string;
        try {
          text = await readFile(f.path, 'utf8');
        } catch (err) {
          // Not cached: the next scan tries again.
          return { file: f.path, documents: [], readError: { file: f.path, path: '', message: `cannot read file: ${(err as Error).message}`, severity: 'error' } };
        }
        this.lastParsed.push(f.path);
        const { documents, cache: chunks } = parseFileTextIncremental(f.path, text, cached?.chunks ?? new Map());
        next.set(f.path, { stamp, documents, chunks });
        return { file: f.path, documents };
      }),
    );
    // Deleted files drop out of the cache here.
    this.cache = next;
    this.lastParsed.sort();
    return { files, failures };
  }
}
