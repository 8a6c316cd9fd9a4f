// Model → validated, consistent snapshots → cache. The gate that keeps proxies
// on their last good configuration: a model that fails validation, a snapshot
// that is inconsistent, or a resource that breaks the protos' own validation
// rules is not published, and the previous snapshots keep being served.
import { messageName, SHORT_NAME } from '../../api/src/type-urls.js';
import { validateAny } from '../../api/src/pgv/validate.js';
import type { EncodedResource } from './cache/resource.js';
import { Snapshot } from './cache/snapshot.js';
import type { SnapshotCache } from './cache/snapshot-cache.js';
import type { Logger } from './log.js';
import type { XdsMetrics } from './metrics.js';
import type { MeshModel } from './model/types.js';
import { validateModel } from './model/validate.js';
import { PROFILES, XdsTranslator, type Profile, type XdsTranslatorOptions } from './xds/translator.js';

export interface PublishOutcome {
  published: boolean;
  /** Snapshot version now served (the new one, or the last good one). */
  version?: string;
  /** Why it was not published: model errors, inconsistencies, proto rule violations. */
  problems: string[];
  durationMs: number;
}

export interface PublisherOptions extends XdsTranslatorOptions {
  log: Logger;
  metrics: XdsMetrics;
  /** Check every new resource against the protos' validate.rules (on by default). */
  validateResources?: boolean;
}

export class SnapshotPublisher {
  private readonly translator: XdsTranslator;
  private readonly validated = new WeakSet<EncodedResource>();
  // Distinct across restarts, so a proxy never mistakes a new server's
  // version 1 for an old one's.
  private readonly epoch = Date.now().toString(36);
  private counter = 0;
  private current = new Map<Profile, Snapshot>();
  lastRejection?: { at: string; problems: string[] };

  constructor(
    private readonly cache: SnapshotCache,
    private readonly opts: PublisherOptions,
  ) {
    this.translator = new XdsTranslator(opts);
  }

  publish(model: MeshModel): PublishOutcome {
    const start = performance.now();
    const done = (published: boolean, problems: string[]): PublishOutcome => {
      const durationMs = performance.now() - start;
      this.opts.metrics.translationSeconds.observe(durationMs / 1000);
      if (!published) {
        this.lastRejection = { at: new Date().toISOString(), problems };
        this.opts.metrics.snapshotsRejected.inc();
        this.opts.log.error('configuration not published; proxies keep the last good snapshot', {
          lastGoodVersion: this.version() ?? null,
          problems: problems.slice(0, 20),
          problemCount: problems.length,
        });
      }
      return { published, version: this.version(), problems, durationMs };
    };

    const modelErrors = validateModel(model);
    if (modelErrors.length) return done(false, modelErrors.map((e) => `model ${e.path}: ${e.message}`));

    const out = this.translator.translate(model);
    const version = `${this.epoch}-${++this.counter}`;
    const next = new Map<Profile, Snapshot>();
    const problems: string[] = [];
    for (const profile of PROFILES) {
      const snap = new Snapshot(version, out[profile], this.current.get(profile));
      for (const p of snap.consistent()) problems.push(`${profile}: ${p}`);
      next.set(profile, snap);
    }
    if (this.opts.validateResources !== false) {
      const invalid = this.validate(this.translator.fresh);
      // Forget the translator's reuse cache, so the next translation offers
      // every resource for validation again rather than reusing a bad one.
      if (invalid.length) this.translator.reset();
      problems.push(...invalid);
    }
    if (problems.length) return done(false, problems);

    this.current = next;
    for (const [profile, snap] of next) {
      this.cache.setSnapshot(profile, snap);
      this.opts.metrics.snapshotsPublished.inc({ group: profile });
      for (const [type, n] of Object.entries(snap.counts())) this.opts.metrics.snapshotResources.set({ group: profile, type }, n);
    }
    const outcome = done(true, []);
    this.opts.log.info('snapshot published', { version, durationMs: Math.round(outcome.durationMs * 10) / 10, ...next.get('envoy')?.counts() });
    return outcome;
  }

  version(): string | undefined {
    return this.current.get('envoy')?.version;
  }

  snapshots(): ReadonlyMap<Profile, Snapshot> {
    return this.current;
  }

  /**
   * Checks resources new in this translation. A resource that fails stays
   * unvalidated, so it is reported again on every publish until fixed.
   */
  private validate(fresh: readonly EncodedResource[]): string[] {
    const problems: string[] = [];
    for (const r of fresh) {
      if (this.validated.has(r)) continue;
      const violations = validateAny(r.typeUrl, r.body);
      if (violations.length === 0) this.validated.add(r);
      for (const v of violations) problems.push(`${SHORT_NAME[r.typeUrl]} ${r.name}: ${v.path}: ${v.message} (${messageName(r.typeUrl)} rule ${v.rule})`);
    }
    return problems;
  }
}
