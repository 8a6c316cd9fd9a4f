// The engine's clusters. update() takes a whole accepted configuration:
// clusters that stay are updated in place, new ones created, and those no
// longer named are drained (idle connections closed now, in-flight requests
// allowed to finish) and dropped.
import type { Logger } from '../../../../xds-server/src/log.js';
import type { Stats } from '../stats.js';
import { secretStore } from '../tls/secrets.js';
import type { ClusterManager, Decoded, UpstreamCluster } from '../types.js';
import { Cluster } from './cluster.js';
import { obj } from './fields.js';

export interface ClusterManagerOptions {
  stats: Stats;
  log: Logger;
  /** Injectable for tests of load balancing and outlier enforcement. */
  random?: () => number;
}

export function createClusterManager(opts: ClusterManagerOptions): ClusterManager {
  const clusters = new Map<string, Cluster>();
  const draining = new Set<Cluster>();
  const log = opts.log.child({ component: 'upstream' });
  const deps = opts.random ? { stats: opts.stats, log, random: opts.random } : { stats: opts.stats, log };

  return {
    update({ clusters: config, endpoints, secrets }) {
      const store = secretStore(secrets);
      for (const [name, raw] of config) {
        const assignment = assignmentFor(name, raw, endpoints);
        const existing = clusters.get(name);
        try {
          if (existing) existing.update(raw, assignment, store);
          else clusters.set(name, new Cluster(name, raw, assignment, store, deps));
        } catch (err) {
          log.error('cannot apply cluster', { cluster: name, error: err });
        }
      }
      for (const [name, cluster] of clusters) {
        if (config.has(name)) continue;
        clusters.delete(name);
        draining.add(cluster);
        void cluster.drain().then(() => draining.delete(cluster));
      }
    },
    get(name: string): UpstreamCluster | undefined {
      return clusters.get(name);
    },
    async close() {
      const all = [...clusters.values(), ...draining];
      clusters.clear();
      draining.clear();
      for (const c of all) c.close();
    },
  };
}

function assignmentFor(name: string, raw: Decoded, endpoints: ReadonlyMap<string, Decoded>): Decoded | undefined {
  if (raw.type !== 'EDS') return undefined;
  return endpoints.get(String(obj(raw.eds_cluster_config).service_name || name));
}
