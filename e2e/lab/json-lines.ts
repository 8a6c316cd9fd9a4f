// A child's output as JSON lines (the lab's workloads and agents speak one
// JSON object per line), with waiting for a line that matches.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

export interface Lines {
  lines: Record<string, unknown>[];
  wait(match: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Lines matching `match`, so far. */
  count(match: (l: Record<string, unknown>) => boolean): number;
}

/** JSON lines of a stream (non-JSON lines kept as {raw}). */
export function jsonLines(child: ChildProcess, stream: Readable = child.stdout!): Lines {
  const out: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  if (stream !== child.stderr) child.stderr?.on('data', (d) => (stderr += d));
  createInterface({ input: stream }).on('line', (l) => {
    try {
      out.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      out.push({ raw: l });
    }
    for (const w of waiters) w();
  });
  return {
    lines: out,
    count: (match) => out.filter(match).length,
    wait: (match, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const hit = out.find(match);
          if (!hit) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
        };
        const timer = setTimeout(() => (waiters.delete(check), reject(new Error(`no matching line in ${timeoutMs} ms: ${JSON.stringify(out.slice(-30))} ${stderr.slice(-2000)}`))), timeoutMs);
        waiters.add(check);
        check();
      }),
  };
}

