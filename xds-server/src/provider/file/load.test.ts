import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { formatConfigError } from '../../../../crds/src/errors.js';
import { loadDirectory } from './load.js';
import { DirectoryScanner } from './scanner.js';
import { docs, service, TempDir } from './test-fixtures.js';

describe('loadDirectory', () => {
  let dir: TempDir;
  beforeEach(() => {
    dir = new TempDir();
  });
  afterEach(() => dir.dispose());

  it('reports a broken document precisely and still returns the others', async () => {
    const file = dir.write('services.yaml', docs(service('a'), service('b', 0), service('c')));
    const r = await loadDirectory(dir.path);
    assert.deepEqual(r.errors.map(formatConfigError), [`error: ${file}#1 v1/Service default/b: spec.ports[0].port: must be between 1 and 65535, inclusive`]);
    assert.deepEqual(r.resources.services.map((s) => s.metadata.name), ['a', 'c']);
    assert.deepEqual(r.objects.map((o) => [o.key, o.origin.index]), [['v1/Service default/a', 0], ['v1/Service default/c', 2]]);
  });

  it('reports a YAML syntax error for its document only', async () => {
    const file = dir.write('s.yaml', docs(service('a'), 'apiVersion: v1\nkind: Service\nmetadata: { name: b\n', service('c')));
    const r = await loadDirectory(dir.path);
    assert.equal(r.errors.length, 1);
    const e = r.errors[0]!;
    assert.equal(e.file, file);
    assert.equal(e.index, 1);
    assert.match(e.message, /^YAML syntax error: .* at line \d+, column \d+$/);
    assert.deepEqual(r.resources.services.map((s) => s.metadata.name), ['a', 'c']);
  });

  it('keeps the first of two definitions of an object', async () => {
    const first = dir.write('a.yaml', service('x', 80));
    const second = dir.write('b.yaml', service('x', 81));
    const r = await loadDirectory(dir.path);
    assert.deepEqual(r.errors.map(formatConfigError), [
      `error: ${second}#0 v1/Service default/x: duplicate object: already defined in ${first}#0, which is used; this definition is ignored`,
    ]);
    assert.deepEqual(r.resources.services.map((s) => [s.metadata.name, s.spec.ports[0]?.port, s.origin.file]), [['x', 80, first]]);
  });

  it('walks subdirectories in order, skipping dotfiles, the status file and non-YAML files', async () => {
    dir.write('b.yml', service('from-yml'));
    dir.write('a/nested.yaml', service('nested'));
    dir.write('.hidden.yaml', service('hidden'));
    dir.write('.git/config.yaml', service('in-dotdir'));
    dir.write('nodemesh-status.yaml', service('status'));
    dir.write('notes.txt', service('text'));
    dir.write('empty.yaml', '# nothing here\n---\n---\n');
    dir.write(
      'list.yaml',
      `apiVersion: v1
kind: List
items:
  - ${service('item-0').replace(/\n/g, '\n    ').trimEnd()}
  - ${service('item-1', 0).replace(/\n/g, '\n    ').trimEnd()}
`,
    );
    const r = await loadDirectory(dir.path);
    assert.deepEqual(r.resources.services.map((s) => s.metadata.name).sort(), ['from-yml', 'item-0', 'nested']);
    assert.deepEqual(r.errors.map((e) => `${e.file}#${e.index} ${e.path}`), [`${dir.file('list.yaml')}#0 items[1].spec.ports[0].port`]);
  });

  it('reports a missing directory', async () => {
    const r = await loadDirectory(dir.file('does-not-exist'));
    assert.equal(r.resources.services.length, 0);
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0]!.message, /^cannot read: ENOENT/);
  });
});

describe('DirectoryScanner', () => {
  let dir: TempDir;
  beforeEach(() => {
    dir = new TempDir();
  });
  afterEach(() => dir.dispose());

  it('reparses only files that changed', async () => {
    for (let i = 0; i < 5; i++) dir.write(`s${i}.yaml`, service(`s${i}`));
    const scanner = new DirectoryScanner(dir.path);
    await scanner.scan();
    assert.equal(scanner.lastParsed.length, 5);
    await scanner.scan();
    assert.deepEqual(scanner.lastParsed, []);
    const edited = dir.write('s3.yaml', service('s3', 8080));
    const scan = await scanner.scan();
    assert.deepEqual(scanner.lastParsed, [edited]);
    const s3 = scan.files.find((f) => f.file === edited)?.documents[0]?.object;
    assert.ok(s3?.kind === 'Service' && s3.spec.ports[0]?.port === 8080);
  });
});
