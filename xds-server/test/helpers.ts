// Real gRPC backends and config directories for integration tests.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';

const identity = (b: Buffer) => b;

/** A unary method with raw bytes in and out: no proto needed for a test echo service. */
export const echoService = {
  Who: {
    path: '/nodemesh.test.Echo/Who',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
} satisfies grpc.ServiceDefinition;

export const EchoClient = grpc.makeGenericClientConstructor(echoService, 'Echo');

export interface Backend {
  name: string;
  address: string;
  port: number;
  stop(): Promise<void>;
}

/** A real gRPC server on `address` that answers every call with its name. */
export async function startBackend(name: string, address: string): Promise<Backend> {
  const server = new grpc.Server();
  server.addService(echoService, {
    Who: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.from(name)),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${address}:0`, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return {
    name,
    address,
    port,
    stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}

export function callWho(client: grpc.Client, deadlineMs = 5000): Promise<string> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(
      echoService.Who.path,
      identity,
      identity,
      Buffer.alloc(0),
      { deadline: Date.now() + deadlineMs },
      (err: grpc.ServiceError | null, res?: Buffer) => (err ? reject(err) : resolve(res!.toString())),
    ),
  );
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
