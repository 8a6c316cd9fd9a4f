// Prometheus metrics of the xDS server, on their own registry so that tests
// and benchmarks running several servers in one process do not collide.
import client from 'prom-client';

export class XdsMetrics {
  readonly registry = new client.Registry();
  readonly streams = new client.Gauge({
    name: 'nodemesh_xds_streams',
    help: 'Open ADS streams',
    labelNames: ['protocol'] as const,
    registers: [this.registry],
  });
  readonly responses = new client.Counter({
    name: 'nodemesh_xds_responses_total',
    help: 'Discovery responses sent',
    labelNames: ['protocol', 'type'] as const,
    registers: [this.registry],
  });
  readonly responseBytes = new client.Counter({
    name: 'nodemesh_xds_response_bytes_total',
    help: 'Bytes of discovery responses sent',
    labelNames: ['protocol', 'type'] as const,
    registers: [this.registry],
  });
  readonly acks = new client.Counter({
    name: 'nodemesh_xds_acks_total',
    help: 'Responses ACKed by clients',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly nacks = new client.Counter({
    name: 'nodemesh_xds_nacks_total',
    help: 'Responses rejected (NACKed) by clients',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly snapshotResources = new client.Gauge({
    name: 'nodemesh_xds_snapshot_resources',
    help: 'Resources in the current snapshot',
    labelNames: ['group', 'type'] as const,
    registers: [this.registry],
  });
  readonly snapshotsPublished = new client.Counter({
    name: 'nodemesh_xds_snapshots_published_total',
    help: 'Snapshots published',
    labelNames: ['group'] as const,
    registers: [this.registry],
  });
  readonly snapshotsRejected = new client.Counter({
    name: 'nodemesh_xds_snapshots_rejected_total',
    help: 'Snapshots not published because they failed validation or consistency; the last good one stays',
    registers: [this.registry],
  });
  readonly translationSeconds = new client.Histogram({
    name: 'nodemesh_xds_translation_seconds',
    help: 'Time to translate configuration into xDS snapshots',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5],
    registers: [this.registry],
  });
  /** Filled at scrape time by whoever owns the flow control (the gRPC server). */
  readonly sendQueueBytes = new client.Gauge({
    name: 'nodemesh_xds_send_queue_bytes',
    help: 'Bytes of discovery responses queued for sending, server-wide (bounded by the send budget)',
    registers: [this.registry],
  });
  readonly streamsWaiting = new client.Gauge({
    name: 'nodemesh_xds_streams_waiting_for_send_budget',
    help: 'Streams with updates held back until queued bytes drain (slow clients, or many pushes at once)',
    registers: [this.registry],
  });
  readonly configErrors = new client.Gauge({
    name: 'nodemesh_config_errors',
    help: 'Invalid configuration objects currently reported',
    labelNames: ['severity'] as const,
    registers: [this.registry],
  });
}
