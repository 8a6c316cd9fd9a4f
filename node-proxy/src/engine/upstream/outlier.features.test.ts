// Feature-matrix proofs for outlier detection fields the integration tests do
// not reach: the cap on ejection time and the enforcement percentage.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Stats } from '../stats.js';
import { decoded } from '../testing/decoded.js';
import { OutlierDetector, parseOutlierConfig, type OutlierHost } from './outlier.js';
import { ms, waitFor } from './testing.js';

const config = (od: object) => parseOutlierConfig(decoded('envoy.config.cluster.v3.OutlierDetection', od));
const host = (key: string): OutlierHost => ({ key, failedOutlier: false, failedActiveHc: false });

describe('outlier detection: ejection cap and enforcement', () => {
  it('max_ejection_time caps the ejection below base_ejection_time', async () => {
    const stats = new Stats();
    const bad = host('bad');
    const capped = new OutlierDetector(
      config({ consecutive_5xx: { value: 2 }, interval: ms(20), base_ejection_time: ms(60_000), max_ejection_time: ms(100), max_ejection_percent: { value: 100 } }),
      stats,
      'c',
      () => {},
      () => 0,
    );
    capped.addHost(bad);
    capped.report(bad, 500);
    capped.report(bad, 500);
    assert.equal(bad.failedOutlier, true, 'ejected');
    const ejectedAt = Date.now();
    await waitFor('unejected', () => !bad.failedOutlier, 3000);
    assert.ok(Date.now() - ejectedAt >= 80, 'not before max_ejection_time');
    capped.stop();

    // Without the cap the same host stays out for base_ejection_time.
    const other = host('other');
    const uncapped = new OutlierDetector(
      config({ consecutive_5xx: { value: 2 }, interval: ms(20), base_ejection_time: ms(60_000), max_ejection_percent: { value: 100 } }),
      stats,
      'd',
      () => {},
      () => 0,
    );
    uncapped.addHost(other);
    uncapped.report(other, 500);
    uncapped.report(other, 500);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(other.failedOutlier, true, 'still ejected after 300 ms');
    uncapped.stop();
  });

  it('enforcing_consecutive_5xx 0 detects but never ejects; 100 ejects', () => {
    const stats = new Stats();
    const h = host('h');
    const od = new OutlierDetector(
      config({ consecutive_5xx: { value: 3 }, enforcing_consecutive_5xx: {}, max_ejection_percent: { value: 100 } }),
      stats,
      'zero',
      () => {},
      () => 0,
    );
    od.addHost(h);
    for (let i = 0; i < 3; i++) od.report(h, 500);
    const tags = { envoy_cluster_name: 'zero' };
    assert.equal(stats.get('envoy_cluster_outlier_detection_ejections_detected_consecutive_5xx', tags), 1);
    assert.equal(stats.get('envoy_cluster_outlier_detection_ejections_enforced_total', tags), 0);
    assert.equal(h.failedOutlier, false);
    od.stop();

    const h2 = host('h2');
    const full = new OutlierDetector(config({ consecutive_5xx: { value: 3 }, enforcing_consecutive_5xx: { value: 100 }, max_ejection_percent: { value: 100 } }), stats, 'full', () => {}, () => 0.99);
    full.addHost(h2);
    for (let i = 0; i < 3; i++) full.report(h2, 500);
    assert.equal(h2.failedOutlier, true);
    full.stop();
  });
});
