import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { formatConfigError } from '../../../../crds/src/errors.js';
import { FileProvider, type ProviderState } from './provider.js';
import { docs, service, TempDir } from './test-fixtures.js';

const KEEPING = /; keeping the last valid version from \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function ports(state: ProviderState): [string, number | undefined][] {
  return state.resources.services.map((s) => [s.metadata.name, s.spec.ports[0]?.port]);
}

/** Resolves with the next value `subscribe` delivers; rejects after `ms`. */
function next<T>(subscribe: (cb: (v: T) => void) => () => void, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`nothing within ${ms} ms`));
    }, ms);
    const off = subscribe((v) => {
      clearTimeout(timer);
      off();
      resolve(v);
    });
  });
}

describe('FileProvider: last valid versions', () => {
  let dir: TempDir;
  let provider: FileProvider;
  let changes: ProviderState[];
  beforeEach(async () => {
    dir = new TempDir();
  });
  afterEach(() => {
    provider.stop();
    dir.dispose();
  });

  // Polling far in the future: scans happen only when the test calls rescan().
  async function startManual(): Promise<void> {
    provider = new FileProvider({ dir: dir.path, mode: 'poll', pollIntervalMs: 3_600_000 });
    changes = [];
    provider.onChange((s) => changes.push(s));
    await provider.start();
  }

  it('keeps the last valid version of an object whose document became invalid', async () => {
    const file = dir.write('svc.yaml', docs(service('a', 80), service('b', 90)));
    await startManual();
    assert.equal(provider.current().generation, 1);
    assert.deepEqual(ports(provider.current()), [['a', 80], ['b', 90]]);

    const errorEvents: ProviderState[] = [];
    provider.onErrorsChange((s) => errorEvents.push(s));
    dir.write('svc.yaml', docs(service('a', 0), service('b', 91)));
    await provider.rescan();
    const state = provider.current();
    assert.deepEqual(ports(state), [['a', 80], ['b', 91]], 'a keeps port 80, b takes its valid edit');
    assert.equal(changes.length, 1);
    assert.equal(state.generation, 2);
    assert.equal(state.errors.length, 1);
    const line = formatConfigError(state.errors[0]!);
    assert.ok(line.startsWith(`error: ${file}#0 v1/Service default/a: spec.ports[0].port: must be between 1 and 65535, inclusive; keeping the last valid version from `), line);
    assert.match(line, KEEPING);

    // Only the invalid document changes: Resources are the same, so no change event, but the errors are announced.
    dir.write('svc.yaml', docs(service('a', -1), service('b', 91)));
    await provider.rescan();
    assert.equal(changes.length, 1);
    assert.equal(errorEvents.length, 0, 'same error text (the port value is not in the message)');
    dir.write('svc.yaml', docs(service('a', 0), service('b', 91), service('c', 0)));
    await provider.rescan();
    assert.equal(changes.length, 1);
    assert.equal(errorEvents.length, 1);
    assert.equal(errorEvents[0]!.errors.length, 2);

    dir.write('svc.yaml', docs(service('a', 81), service('b', 91)));
    await provider.rescan();
    assert.deepEqual(ports(provider.current()), [['a', 81], ['b', 91]]);
    assert.deepEqual(provider.current().errors, []);
    assert.equal(changes.length, 2);
  });

  it('keeps the objects of a file whose documents cannot be identified', async () => {
    const file = dir.write('svc.yaml', docs(service('a'), service('b')));
    await startManual();
    dir.write('svc.yaml', docs(service('a'), 'apiVersion: v1\nkind: Service\nmetadata: [oops\n'));
    await provider.rescan();
    const state = provider.current();
    assert.deepEqual(ports(state), [['a', 80], ['b', 80]]);
    assert.equal(changes.length, 0);
    assert.equal(state.errors.length, 1);
    const e = state.errors[0]!;
    assert.deepEqual([e.file, e.index, e.name], [file, 1, 'b']);
    assert.match(e.message, /^YAML syntax error: .*; keeping the last valid version of v1\/Service default\/b from \d{4}-.*Z$/);
  });

  it('drops objects whose document or file is gone', async () => {
    dir.write('one.yaml', docs(service('a'), service('b')));
    dir.write('two.yaml', service('c'));
    await startManual();
    dir.write('one.yaml', service('a'));
    await provider.rescan();
    assert.deepEqual(ports(provider.current()).map(([n]) => n), ['a', 'c']);
    dir.remove('two.yaml');
    await provider.rescan();
    assert.deepEqual(ports(provider.current()).map(([n]) => n), ['a']);
    assert.equal(changes.length, 2);
    assert.deepEqual(provider.current().errors, []);
  });

  it('drops an invalid object that never had a valid version', async () => {
    dir.write('one.yaml', service('a', 0));
    await startManual();
    assert.deepEqual(ports(provider.current()), []);
    assert.equal(provider.current().errors.length, 1);
    assert.doesNotMatch(provider.current().errors[0]!.message, /keeping/);
  });
});

describe('FileProvider: watching', () => {
  let dir: TempDir;
  let provider: FileProvider;
  beforeEach(() => {
    dir = new TempDir();
  });
  afterEach(() => {
    provider.stop();
    dir.dispose();
  });

  it('announces one change for a burst of edits, and none for an unchanged rewrite', async () => {
    dir.write('sub/svc.yaml', service('a', 80));
    const parsed: Record<string, unknown>[] = [];
    const parsedListeners = new Set<(v: Record<string, unknown>) => void>();
    provider = new FileProvider({
      dir: dir.path,
      debounceMs: 50,
      logger: (fields) => {
        if (fields.event !== 'parsed') return;
        parsed.push(fields);
        for (const l of parsedListeners) l(fields);
      },
    });
    const changes: ProviderState[] = [];
    provider.onChange((s) => changes.push(s));
    await provider.start();
    assert.deepEqual(ports(provider.current()), [['a', 80]]);

    // Three writes in a row: one debounced rescan sees the last.
    const file = dir.file('sub/svc.yaml');
    writeFileSync(file, service('a', 81));
    writeFileSync(file, service('a', 82));
    writeFileSync(file, service('a', 83));
    const changed = await next<ProviderState>((cb) => provider.onChange(cb));
    assert.deepEqual(ports(changed), [['a', 83]]);
    assert.equal(changed.generation, 2);

    // The same bytes again: the file is reparsed (its mtime changed) but nothing is announced.
    const reparsed = next<Record<string, unknown>>((cb) => {
      parsedListeners.add(cb);
      return () => parsedListeners.delete(cb);
    });
    writeFileSync(file, service('a', 83));
    await reparsed;
    // A straggling rescan of the burst would have been announced by now; give it a moment.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(changes.length, 1);
    assert.equal(provider.current().generation, 2);
  });

  it('picks up new files in new subdirectories', async () => {
    provider = new FileProvider({ dir: dir.path, debounceMs: 50 });
    await provider.start();
    assert.deepEqual(ports(provider.current()), []);
    const changed = next<ProviderState>((cb) => provider.onChange(cb));
    dir.write('new/dir/svc.yaml', service('fresh'));
    assert.deepEqual(ports(await changed), [['fresh', 80]]);
  });

  it('keeps seeing a file that is replaced by a rename (an atomic save), again and again', async () => {
    provider = new FileProvider({ dir: dir.path, debounceMs: 50, safetyRescanMs: 0 });
    dir.write('svc.yaml', service('v', 1));
    await provider.start();
    for (const port of [2, 3, 4]) {
      const changed = next<ProviderState>((cb) => provider.onChange(cb));
      const tmp = dir.write('.svc.yaml.tmp', service('v', port));
      renameSync(tmp, join(dir.path, 'svc.yaml'));
      assert.deepEqual(ports(await changed), [['v', port]], `save #${port - 1}`);
    }
    const changed = next<ProviderState>((cb) => provider.onChange(cb));
    dir.write('svc.yaml', service('v', 5));
    assert.deepEqual(ports(await changed), [['v', 5]], 'then an in-place write');
  });

  it('falls back to polling', async () => {
    provider = new FileProvider({ dir: dir.path, mode: 'poll', pollIntervalMs: 100 });
    await provider.start();
    const changed = next<ProviderState>((cb) => provider.onChange(cb));
    dir.write('svc.yaml', service('polled'));
    assert.deepEqual(ports(await changed), [['polled', 80]]);
  });
});
