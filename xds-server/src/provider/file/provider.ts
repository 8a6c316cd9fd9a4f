// FileProvider: watches a configuration directory and keeps the current
// Resources, with last-good semantics (see resolve.ts). Listeners hear about a
// change only when the Resources actually changed, so rewriting a file with
// the same content, or touching it, never republishes configuration.
import { watch, type FSWatcher } from 'node:fs';
import { basename } from 'node:path';
import type { ConfigError } from '../../../../crds/src/errors.js';
import { formatConfigError } from '../../../../crds/src/errors.js';
import { emptyResources, type Resources } from '../../../../crds/src/resources.js';
import { STATUS_FILE } from './list.js';
import { resourcesDigest, toResources } from './load.js';
import { resolveScan, type AcceptedObject } from './resolve.js';
import { DirectoryScanner } from './scanner.js';

export interface FileProviderOptions {
  dir: string;
  /** Structured log sink, e.g. `(fields) => log.info('file provider', fields)`. */
  logger?: (fields: Record<string, unknown>) => void;
  /** Quiet time after the last filesystem event before rescanning. Default 100 ms. */
  debounceMs?: number;
  /** Rescan interval when fs.watch is unavailable or fails. Default 1000 ms. */
  pollIntervalMs?: number;
  /**
   * While watching: a rescan at least this often anyway (default 10 s), for
   * changes the platform's watcher does not report. A rescan only stats files
   * and re-reads the changed ones.
   */
  safetyRescanMs?: number;
  /** 'watch' (default) uses fs.watch and falls back to polling; 'poll' always polls. */
  mode?: 'watch' | 'poll';
}

export interface ProviderState {
  resources: Resources;
  /** Errors of the latest scan (always current, even when Resources did not change). */
  errors: ConfigError[];
  /** Increases by one each time Resources change; 0 before the first scan. */
  generation: number;
}

type Listener = (state: ProviderState) => void;

export class FileProvider {
  private readonly dir: string;
  private readonly log: (fields: Record<string, unknown>) => void;
  private readonly debounceMs: number;
  private readonly pollIntervalMs: number;
  private readonly safetyRescanMs: number;
  private safetyTimer?: NodeJS.Timeout;
  private watchingLogged = false;
  private readonly mode: 'watch' | 'poll';
  private readonly scanner: DirectoryScanner;
  private readonly listeners = new Set<Listener>();
  private readonly errorListeners = new Set<Listener>();

  private objects = new Map<string, AcceptedObject>();
  private state: ProviderState = { resources: emptyResources(), errors: [], generation: 0 };
  private digest = '';
  private errorsDigest = '';

  private watcher?: FSWatcher;
  private pollTimer?: NodeJS.Timeout;
  private debounceTimer?: NodeJS.Timeout;
  private pendingSince?: number;
  private scanning?: Promise<void>;
  private rescanRequested = false;
  private running = false;
  /** Set once start()'s initial load is done: later changes are announced. */
  private announce = false;

  constructor(opts: FileProviderOptions) {
    this.dir = opts.dir;
    this.log = opts.logger ?? (() => {});
    this.debounceMs = opts.debounceMs ?? 100;
    this.pollIntervalMs = opts.pollIntervalMs ?? 1000;
    this.safetyRescanMs = opts.safetyRescanMs ?? 10_000;
    this.mode = opts.mode ?? 'watch';
    this.scanner = new DirectoryScanner(opts.dir);
  }

  /** Loads the directory (no change event for this first load) and starts watching it. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    // Watch first, so an edit made while the initial load runs is not missed:
    // its event schedules a rescan after the load.
    if (this.mode === 'poll') this.startPolling('polling requested');
    else this.startWatching();
    await this.rescan();
    if (this.running) this.announce = true;
  }

  stop(): void {
    this.running = false;
    this.watcher?.close();
    this.watcher = undefined;
    clearInterval(this.pollTimer);
    clearInterval(this.safetyTimer);
    this.safetyTimer = undefined;
    clearTimeout(this.debounceTimer);
    this.pollTimer = this.debounceTimer = this.pendingSince = undefined;
  }

  current(): ProviderState {
    return this.state;
  }

  /** Called after each change of Resources. Returns an unsubscribe function. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Called when the reported errors change while Resources stay the same (a
   * newly broken document whose last valid version is kept, or one restored
   * to exactly that version), so status can be refreshed without republishing.
   */
  onErrorsChange(listener: Listener): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /**
   * Rescans now (coalescing with a scan in progress). Resolves once the
   * directory's state at call time has been taken into account.
   */
  async rescan(): Promise<void> {
    if (this.scanning) {
      this.rescanRequested = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      try {
        do {
          this.rescanRequested = false;
          try {
            await this.scanOnce();
          } catch (err) {
            // Keep serving the current state; the next event or poll retries.
            this.log({ event: 'scan-failed', error: (err as Error).message });
          }
        } while (this.rescanRequested);
      } finally {
        this.scanning = undefined;
      }
    })();
    return this.scanning;
  }

  private async scanOnce(): Promise<void> {
    const scan = await this.scanner.scan();
    const { objects, errors } = resolveScan(scan, this.objects, new Date());
    this.objects = new Map(objects.map((o) => [o.key, o]));
    const digest = resourcesDigest(objects);
    const resourcesChanged = this.state.generation === 0 || digest !== this.digest;
    const errorsDigest = JSON.stringify(errors.map(formatConfigError));
    const errorsChanged = errorsDigest !== this.errorsDigest;
    this.digest = digest;
    this.errorsDigest = errorsDigest;

    if (this.scanner.lastParsed.length > 0) this.log({ event: 'parsed', files: this.scanner.lastParsed.length });
    if (errorsChanged) {
      this.log({ event: 'errors', count: errors.length, errors: errors.map(formatConfigError) });
    }
    if (resourcesChanged) {
      this.state = { resources: toResources(objects), errors, generation: this.state.generation + 1 };
      this.log({
        event: 'changed',
        generation: this.state.generation,
        services: this.state.resources.services.length,
        endpointSlices: this.state.resources.endpointSlices.length,
        workloads: this.state.resources.workloads.length,
        errors: errors.length,
      });
      // The initial load is returned by start(), not announced.
      if (this.announce && this.running) this.emit(this.listeners);
    } else if (errorsChanged) {
      this.state = { ...this.state, errors };
      if (this.announce && this.running) this.emit(this.errorListeners);
    }
  }

  private emit(listeners: Set<Listener>): void {
    for (const listener of listeners) {
      try {
        listener(this.state);
      } catch (err) {
        this.log({ event: 'listener-failed', error: (err as Error).message });
      }
    }
  }

  // Recursive fs.watch works on Linux since Node 20 (a userland
  // implementation), macOS and Windows. Any event only schedules a rescan;
  // what changed is found by the scanner's stat comparison, which also covers
  // ConfigMap volumes whose files change through a renamed ..data symlink.
  // On Linux that implementation watches each file's inode: once a file is
  // replaced by a rename (an editor's atomic save, `mv`, kubectl cp), later
  // changes to it are not reported. So the watcher is re-armed after a rescan
  // that saw a new inode, and a slow safety rescan catches anything else.
  private startWatching(): void {
    if (!this.safetyTimer && this.safetyRescanMs > 0) {
      this.safetyTimer = setInterval(() => void this.rescan(), this.safetyRescanMs);
      this.safetyTimer.unref();
    }
    this.watcher?.close();
    this.watcher = undefined;
    try {
      const watcher = watch(this.dir, { recursive: true }, (_event, filename) => {
        if (filename !== null && basename(filename.toString()) === STATUS_FILE) return;
        this.schedule();
      });
      watcher.on('error', (err) => {
        watcher.close();
        if (this.watcher === watcher) this.watcher = undefined;
        if (this.running) this.startPolling(`fs.watch failed: ${err.message}`);
      });
      this.watcher = watcher;
      if (!this.watchingLogged) this.log({ event: 'watching', dir: this.dir, debounceMs: this.debounceMs });
      this.watchingLogged = true;
    } catch (err) {
      this.startPolling(`fs.watch unavailable: ${(err as Error).message}`);
    }
  }

  private startPolling(reason: string): void {
    if (this.pollTimer) return;
    this.log({ event: 'polling', dir: this.dir, intervalMs: this.pollIntervalMs, reason });
    this.pollTimer = setInterval(() => void this.rescan(), this.pollIntervalMs);
  }

  // Trailing debounce, bounded so that a directory written continuously is
  // still rescanned at least every max(1 s, 10 × debounce).
  private schedule(): void {
    if (!this.running) return;
    const now = Date.now();
    this.pendingSince ??= now;
    clearTimeout(this.debounceTimer);
    const maxWait = Math.max(1000, this.debounceMs * 10);
    const delay = Math.min(this.debounceMs, Math.max(0, this.pendingSince + maxWait - now));
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = this.pendingSince = undefined;
      void this.rescan().then(() => {
        if (!this.running || !this.watcher || !this.scanner.lastNewInodes) return;
        // A new or replaced file: re-arm the watcher on the current inodes, and
        // rescan once it is set up, for what changed while it was.
        this.startWatching();
        this.schedule();
      });
    }, delay);
  }
}
