// Finds the configuration files under a directory: *.yaml and *.yml,
// recursively, in a stable order. Symlinks are followed (Kubernetes ConfigMap
// volumes are symlinks into a hidden ..data directory), dotfiles and dot-
// directories are skipped (which also skips ..data itself, so files are not
// seen twice), and so is the status file nodemesh may write into the directory.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const STATUS_FILE = 'nodemesh-status.yaml';

export interface ListedFile {
  path: string;
  mtimeMs: number;
  ctimeMs: number;
  size: number;
  ino: number;
}

export interface ListResult {
  files: ListedFile[];
  /** Directories (or files) that could not be read, with why. Their previous objects must not be dropped. */
  failures: { path: string; message: string }[];
}

export function isConfigFileName(name: string): boolean {
  return !name.startsWith('.') && name !== STATUS_FILE && (name.endsWith('.yaml') || name.endsWith('.yml'));
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export async function listConfigFiles(dir: string): Promise<ListResult> {
  const out: ListResult = { files: [], failures: [] };
  // dev:ino of directories being walked, to survive symlink loops.
  const visiting = new Set<string>();

  async function walk(path: string): Promise<void> {
    let names: string[];
    try {
      const st = await stat(path);
      const id = `${st.dev}:${st.ino}`;
      if (visiting.has(id)) return;
      visiting.add(id);
      names = (await readdir(path)).sort(byCodeUnit);
    } catch (err) {
      out.failures.push({ path, message: (err as Error).message });
      return;
    }
    // Stat a directory's entries in parallel (large directories), then use them in name order.
    const entries = await Promise.all(
      names
        .filter((name) => !name.startsWith('.'))
        .map(async (name) => {
          const child = join(path, name);
          try {
            return { name, child, st: await stat(child) };
          } catch (err) {
            // A dangling symlink, or a file removed between readdir and stat.
            if ((err as NodeJS.ErrnoException).code !== 'ENOENT') out.failures.push({ path: child, message: (err as Error).message });
            return undefined;
          }
        }),
    );
    for (const entry of entries) {
      if (entry === undefined) continue;
      const { name, child, st } = entry;
      if (st.isDirectory()) await walk(child);
      else if (st.isFile() && isConfigFileName(name)) {
        out.files.push({ path: child, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, size: st.size, ino: st.ino });
      }
    }
  }

  await walk(dir);
  return out;
}
