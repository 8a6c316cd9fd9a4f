// Prometheus metrics of the auth service, on a registry the caller owns (the
// node agent's, or one per test) so several instances can share a process.
import client from 'prom-client';

export class AuthMetrics {
  readonly handshakes: client.Counter<'role' | 'result' | 'reason'>;
  readonly handshakeSeconds: client.Histogram<'role' | 'result'>;
  readonly requests: client.Counter<'outcome'>;
  readonly pending: client.Gauge;
  readonly entries: client.Gauge;
  readonly rotations: client.Counter<'result'>;
  readonly entriesRemoved: client.Counter<'cause'>;

  constructor(readonly registry: client.Registry) {
    const registers = [registry];
    this.handshakes = new client.Counter({
      name: 'nodemesh_auth_handshakes_total',
      help: 'Mutual-authentication handshakes by role (initiator/responder), result (ok/fail) and failure reason ("" when ok)',
      labelNames: ['role', 'result', 'reason'] as const,
      registers,
    });
    this.handshakeSeconds = new client.Histogram({
      name: 'nodemesh_auth_handshake_seconds',
      help: 'Handshake duration: initiator from TCP connect to recorded entry; responder from TLS established to its reply',
      labelNames: ['role', 'result'] as const,
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers,
    });
    this.requests = new client.Counter({
      name: 'nodemesh_auth_requests_total',
      help: 'authenticate() calls: answered from the auth map (cached), joined a handshake in flight (joined), started one (started), or refused from the back-off of an earlier refusal (backoff)',
      labelNames: ['outcome'] as const,
      registers,
    });
    this.pending = new client.Gauge({ name: 'nodemesh_auth_pending', help: 'Handshakes in flight (initiator side)', registers });
    this.entries = new client.Gauge({ name: 'nodemesh_auth_entries', help: 'Auth map entries (set at scrape time by the manager)', registers });
    this.rotations = new client.Counter({ name: 'nodemesh_auth_svid_rotations_total', help: 'SVID rotations', labelNames: ['result'] as const, registers });
    this.entriesRemoved = new client.Counter({
      name: 'nodemesh_auth_entries_removed_total',
      help: 'Auth entries removed before expiry, by cause (identity_removed, revoked, bundle_removed, reauth_failed)',
      labelNames: ['cause'] as const,
      registers,
    });
  }
}
