// The echo service the demo mesh runs as its backends (and the integration
// tests reuse): one unary method, raw bytes in and out, answered with the
// backend's name, so a client can see where each call landed without protos.
import * as grpc from '@grpc/grpc-js';

const identity = (b: Buffer) => b;

export const echoService = {
  Who: {
    path: '/nodemesh.demo.Echo/Who',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
} satisfies grpc.ServiceDefinition;

export const EchoClient = grpc.makeGenericClientConstructor(echoService, 'Echo');

export interface EchoBackend {
  name: string;
  address: string;
  port: number;
  stop(): Promise<void>;
}

/** A real gRPC server on `address:port` (0 picks a port) that answers every call with `name`. */
export async function startEchoBackend(name: string, address: string, port = 0): Promise<EchoBackend> {
  const server = new grpc.Server();
  server.addService(echoService, {
    Who: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.from(name)),
  });
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${address}:${port}`, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { name, address, port: bound, stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
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
