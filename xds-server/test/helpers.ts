// Real gRPC backends (the demo's echo service) and config directories for integration tests.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { callWho, startEchoBackend, type EchoBackend } from '../../cli/src/echo.js';

export { callWho, EchoClient, type EchoBackend as Backend } from '../../cli/src/echo.js';

/** A real gRPC echo server on `address` (any free port) that answers with its name. */
export function startBackend(name: string, address: string): Promise<EchoBackend> {
  return startEchoBackend(name, address);
}

/** Makes `n` sequential calls and counts answers per backend name. */
export async function distribution(client: grpc.Client, n: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const who = await callWho(client);
    counts.set(who, (counts.get(who) ?? 0) + 1);
  }
  return counts;
}

export class ConfigDir {
  readonly path = mkdtempSync(join(tmpdir(), 'nodemesh-test-'));
  write(file: string, yaml: string): void {
    writeFileSync(join(this.path, file), yaml);
  }
  remove(file: string): void {
    rmSync(join(this.path, file), { force: true });
  }
  cleanup(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
