// SVID files on disk, for consumers that read files (and so operators can see
// what the node holds). The key file is created 0600 from the first byte —
// opened with that mode, not chmod-ed after writing — in a 0700 directory,
// and replaced atomically by rename so a reader never sees half a key.
import { chmodSync, closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Svid } from './authority.js';
import { sniForSpiffeId } from '../spiffe/sni.js';

export interface SvidFiles {
  certFile: string;
  keyFile: string;
}

/** File names derive from the SNI hash of the ID: fixed length, no '/' from the ID. */
export function svidFilePaths(dir: string, id: string): SvidFiles {
  const base = sniForSpiffeId(id).split('.')[0]!;
  return { certFile: join(dir, `${base}.crt`), keyFile: join(dir, `${base}.key`) };
}

function writeAtomic(path: string, data: string, mode: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, mode); // the process umask can only narrow `mode`; make it exact
  renameSync(tmp, path);
}

export function writeSvidFiles(dir: string, svid: Svid): SvidFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const p = svidFilePaths(dir, svid.id);
  writeAtomic(p.keyFile, svid.key.reveal(), 0o600);
  writeAtomic(p.certFile, svid.certPem + svid.chainPem.join(''), 0o644);
  return p;
}

export function removeSvidFiles(dir: string, id: string): void {
  const p = svidFilePaths(dir, id);
  rmSync(p.keyFile, { force: true });
  rmSync(p.certFile, { force: true });
}
