// circuit_breakers.thresholds against a real backend that holds requests.
import assert from 'node:assert/strict';
import type http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { UpstreamError } from '../types.js';
import { harness, httpBackend, send, staticCluster, waitFor, type Backend } from './testing.js';

describe('circuit breakers', () => {
  let backend: Backend;
  const held: http.ServerResponse[] = [];
  const h = harness();
  const releaseAll = () => {
    for (const r of held.splice(0)) r.end('ok');
  };
  before(async () => {
    backend = await httpBackend((req, res) => {
      req.resume();
      held.push(res);
    });
  });
  after(async () => {
    releaseAll();
    await h.cm.close();
    await backend.close();
  });

  it('max_connections 1 + max_pending_requests 1: the third concurrent request overflows', async () => {
    h.apply([staticCluster('cb', [{ port: backend.port }], { circuit_breakers: { thresholds: [{ max_connections: { value: 1 }, max_pending_requests: { value: 1 } }] } })]);
    const c = h.cluster('cb');
    const first = send(c);
    await waitFor('first at backend', () => held.length === 1);
    const second = send(c); // waits for the one connection
    await waitFor('second pending', () => h.stat('envoy_cluster_upstream_rq_pending_active', 'cb') === 1);
    assert.equal(h.stat('envoy_cluster_upstream_cx_overflow', 'cb'), 1, 'no second connection allowed');
    await assert.rejects(send(c), (e: unknown) => e instanceof UpstreamError && e.reason === 'overflow');
    assert.equal(h.stat('envoy_cluster_upstream_rq_pending_overflow', 'cb'), 1);
    assert.equal(h.stat('envoy_cluster_circuit_breakers_default_rq_pending_open', 'cb'), 1);
    assert.equal(h.stat('envoy_cluster_circuit_breakers_default_cx_open', 'cb'), 1);
    // The pending request gets the connection when the first finishes.
    releaseAll();
    assert.equal((await first).status, 200);
    await waitFor('second at backend', () => held.length === 1);
    releaseAll();
    assert.equal((await second).status, 200);
    assert.equal(backend.connections, 1);
    assert.equal(h.stat('envoy_cluster_upstream_cx_total', 'cb'), 1);
    assert.equal(h.stat('envoy_cluster_circuit_breakers_default_rq_pending_open', 'cb'), 0);
  });

  it('aborting a pending request frees its pending slot', async () => {
    h.apply([staticCluster('cancel', [{ port: backend.port }], { circuit_breakers: { thresholds: [{ max_connections: { value: 1 }, max_pending_requests: { value: 1 } }] } })]);
    const c = h.cluster('cancel');
    const first = send(c);
    await waitFor('first at backend', () => held.length === 1);
    const ac = new AbortController();
    const second = send(c, { signal: ac.signal });
    await waitFor('second pending', () => h.stat('envoy_cluster_upstream_rq_pending_active', 'cancel') === 1);
    ac.abort();
    await assert.rejects(second, (e: unknown) => e instanceof UpstreamError);
    assert.equal(h.stat('envoy_cluster_upstream_rq_pending_active', 'cancel'), 0);
    assert.equal(h.stat('envoy_cluster_upstream_rq_cancelled', 'cancel'), 1);
    const third = send(c); // the slot is free again
    await waitFor('third pending', () => h.stat('envoy_cluster_upstream_rq_pending_active', 'cancel') === 1);
    releaseAll();
    await first;
    await waitFor('third at backend', () => held.length === 1);
    releaseAll();
    assert.equal((await third).status, 200);
  });

  it('max_requests bounds active requests', async () => {
    h.apply([staticCluster('rq', [{ port: backend.port }], { circuit_breakers: { thresholds: [{ max_requests: { value: 1 } }] } })]);
    const c = h.cluster('rq');
    const first = send(c);
    await waitFor('first at backend', () => held.length === 1);
    await assert.rejects(send(c), (e: unknown) => e instanceof UpstreamError && e.reason === 'overflow');
    assert.equal(h.stat('envoy_cluster_upstream_rq_pending_overflow', 'rq'), 1);
    releaseAll();
    await first;
  });

  it('max_retries: tryRetry fails past the limit and counts upstream_rq_retry_overflow', () => {
    h.apply([staticCluster('retry', [{ port: backend.port }], { circuit_breakers: { thresholds: [{ max_retries: { value: 2 } }] } })]);
    const c = h.cluster('retry');
    assert.equal(c.tryRetry(), true);
    assert.equal(c.tryRetry(), true);
    assert.equal(c.tryRetry(), false);
    assert.equal(h.stat('envoy_cluster_upstream_rq_retry_overflow', 'retry'), 1);
    c.retryDone();
    assert.equal(c.tryRetry(), true);
  });

  it('default thresholds are 1024/1024/1024/3', () => {
    h.apply([staticCluster('defaults', [{ port: backend.port }])]);
    const c = h.cluster('defaults');
    assert.deepEqual([c.tryRetry(), c.tryRetry(), c.tryRetry(), c.tryRetry()], [true, true, true, false]);
  });

  it('connect() honours max_connections', async () => {
    h.apply([staticCluster('tcp', [{ port: backend.port }], { circuit_breakers: { thresholds: [{ max_connections: { value: 1 } }] } })]);
    const c = h.cluster('tcp');
    const one = await c.connect({});
    await assert.rejects(c.connect({}), (e: unknown) => e instanceof UpstreamError && e.reason === 'overflow');
    assert.equal(h.stat('envoy_cluster_upstream_cx_overflow', 'tcp'), 1);
    one.socket.destroy();
    await waitFor('released', () => h.stat('envoy_cluster_upstream_cx_active', 'tcp') === 0);
    const two = await c.connect({});
    two.socket.destroy();
  });
});
