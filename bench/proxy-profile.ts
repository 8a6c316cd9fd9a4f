// Summarises a V8 .cpuprofile (node --cpu-prof) by self time: where the
// engine's process spent its CPU, by kind of code and by function.
import { readFileSync } from 'node:fs';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

const ROOT = new URL('..', import.meta.url).href;

function kind(name: string, url: string): string {
  if (name === '(idle)') return 'idle (waiting in epoll)';
  if (name === '(garbage collector)') return 'garbage collector';
  if (name === '(program)') return 'V8/native, unattributed';
  if (url.startsWith('node:')) return 'Node.js core (JS)';
  if (url.includes('/node_modules/')) return 'dependencies';
  if (url.startsWith(ROOT)) return 'nodemesh';
  // Includes the syscalls made synchronously from JS (socket writes: writev, writeLatin1String…).
  return 'native: C++ bindings (with their syscalls), V8 builtins';
}

const sources = new Map<string, string[]>();
/**
 * tsx hands V8 whitespace-minified code, so every function of our own files
 * is "line 1": look the function's name up in the TypeScript source instead.
 */
function lineOf(f: { functionName: string; url: string; lineNumber: number }): string {
  if (f.lineNumber > 0 || !f.url.startsWith(ROOT) || !f.url.endsWith('.ts')) return `:${f.lineNumber + 1}`;
  if (!f.functionName) return '';
  let lines = sources.get(f.url);
  if (!lines) sources.set(f.url, (lines = readFileSync(new URL(f.url), 'utf8').split('\n')));
  const name = f.functionName.replace(/^.*\./, '').replace(/[$^*+?()[\]{}|\\]/g, '\\$&');
  const decl = new RegExp(`(function\\s*\\*?\\s*${name}\\b|^\\s*(?:(?:private|protected|public|static|async|get|set|readonly)\\s+)*${name}\\s*[(<=]|\\b(?:const|let)\\s+${name}\\s*=)`);
  const i = lines.findIndex((l) => decl.test(l));
  return i >= 0 ? `:${i + 1}` : '';
}

export function summarizeProfile(path: string, top = 15): string {
  const p = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const selfUs = new Map<string, number>();
  const kinds = new Map<string, number>();
  let total = 0;
  let busy = 0;
  p.samples.forEach((id, i) => {
    // timeDeltas[i + 1] is the time until the next sample: this sample's share.
    const us = p.timeDeltas[i + 1] ?? 0;
    const f = byId.get(id)!;
    const k = kind(f.functionName, f.url);
    kinds.set(k, (kinds.get(k) ?? 0) + us);
    total += us;
    if (f.functionName === '(idle)') return;
    busy += us;
    const where = f.url ? ` ${f.url.replace(ROOT, '').replace(/^file:\/\/.*\/node_modules\//, '')}${lineOf(f)}` : '';
    const key = `${f.functionName || '(anonymous)'}${where}`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + us);
  });
  const pct = (us: number, of: number) => `${((100 * us) / of).toFixed(1)}%`;
  const lines = [`${(total / 1e6).toFixed(1)} s sampled, ${pct(busy, total)} busy`, '', '| self time by kind of code | share of all samples |', '|---|---|'];
  for (const [k, us] of [...kinds].sort((a, b) => b[1] - a[1])) lines.push(`| ${k} | ${pct(us, total)} |`);
  lines.push('', `| top ${top} functions by self time | share of busy time |`, '|---|---|');
  for (const [k, us] of [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`| \`${k}\` | ${pct(us, busy)} |`);
  return lines.join('\n');
}
