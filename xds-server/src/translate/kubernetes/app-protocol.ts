// Which protocol a Service port speaks, decided like Istio does: the port's
// appProtocol field, else its name prefix ("http-web", "grpc", ...), else plain
// TCP. UDP ports are UDP whatever they are named, since nothing else can run
// over them here.
import type { ServicePortSpec } from '../../../../crds/src/service.js';
import type { AppProtocol } from '../../model/types.js';

/** appProtocol field values (lowercased), including the Kubernetes-defined kubernetes.io/* ones. */
const BY_APP_PROTOCOL: Readonly<Record<string, AppProtocol>> = {
  http: 'http',
  https: 'tls',
  http2: 'http2',
  'kubernetes.io/h2c': 'http2',
  grpc: 'grpc',
  // gRPC-Web is HTTP/1.1 or HTTP/2 with gRPC framing in the body: plain HTTP routing applies.
  'grpc-web': 'http',
  'kubernetes.io/ws': 'http',
  'kubernetes.io/wss': 'tls',
  tcp: 'tcp',
  tls: 'tls',
  udp: 'udp',
};

/** Port name prefixes (the part before the first '-', or the whole name). */
const BY_NAME_PREFIX: Readonly<Record<string, AppProtocol>> = {
  http: 'http',
  http2: 'http2',
  grpc: 'grpc',
  tcp: 'tcp',
  tls: 'tls',
  https: 'tls',
};

export interface AppProtocolResult {
  appProtocol: AppProtocol;
  /** Why the port is not treated the way its configuration suggests; the field it concerns. */
  warning?: { field: 'appProtocol' | 'protocol'; message: string };
}

function fromName(name: string): AppProtocol | undefined {
  const n = name.toLowerCase();
  // Before the generic prefix rule, which would read "grpc-web-x" as grpc.
  if (n === 'grpc-web' || n.startsWith('grpc-web-')) return 'http';
  return BY_NAME_PREFIX[n.split('-')[0] ?? ''];
}

export function resolveAppProtocol(port: ServicePortSpec): AppProtocolResult {
  const declared = port.appProtocol;
  const mapped = declared !== undefined ? BY_APP_PROTOCOL[declared.toLowerCase()] : undefined;

  if (port.protocol === 'UDP') {
    if (declared !== undefined && mapped !== 'udp') {
      return { appProtocol: 'udp', warning: { field: 'appProtocol', message: `appProtocol ${JSON.stringify(declared)} is ignored on a UDP port; the port is handled as udp` } };
    }
    return { appProtocol: 'udp' };
  }
  if (port.protocol === 'SCTP') {
    return { appProtocol: 'tcp', warning: { field: 'protocol', message: 'SCTP is not supported by the data plane; the port is handled as tcp and SCTP traffic will not be proxied' } };
  }
  if (declared !== undefined) {
    if (mapped === undefined) {
      return { appProtocol: 'tcp', warning: { field: 'appProtocol', message: `unknown appProtocol ${JSON.stringify(declared)}; the port is handled as tcp (known: ${Object.keys(BY_APP_PROTOCOL).join(', ')})` } };
    }
    if (mapped === 'udp') {
      return { appProtocol: 'tcp', warning: { field: 'appProtocol', message: `appProtocol "udp" on a ${port.protocol} port; the port is handled as tcp` } };
    }
    return { appProtocol: mapped };
  }
  return { appProtocol: fromName(port.name) ?? 'tcp' };
}
