// Runs every *.test.ts under the given folders (default: the whole repository)
// with node's own test runner, through tsx. Node 20's --test takes no globs, so
// the file list is built here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = process.cwd();
const skip = new Set(['node_modules', 'dist', '.git', 'generated']);
function find(dir, out) {
  for (const name of readdirSync(dir)) {
    if (skip.has(name)) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}
const dirs = process.argv.slice(2);
const files = (dirs.length ? dirs : ['.']).flatMap((d) => (d.endsWith('.ts') ? [d] : find(d, []))).sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
