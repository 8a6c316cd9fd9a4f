import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFileText, parseFileTextIncremental, parseWhole } from './documents.js';

const svc = (name: string, port = 80) => `apiVersion: v1\nkind: Service\nmetadata: { name: ${name}, namespace: default }\nspec: { ports: [{ port: ${port} }] }\n`;

// Texts whose document boundaries are easy to get wrong when the file is split.
const corpus: Record<string, string> = {
  'plain list of documents': [svc('a'), svc('b'), svc('c')].join('---\n'),
  'leading marker': `---\n${svc('a')}---\n${svc('b')}`,
  'leading comment then marker': `# header\n---\n${svc('a')}`,
  'comment only before first document content': `# header\n\n${svc('a')}---\n${svc('b')}`,
  'empty documents in between': `${svc('a')}---\n---\n${svc('b')}---\n`,
  'marker with trailing comment': `${svc('a')}--- # next\n${svc('b')}`,
  'block scalar right after the marker': `--- |\n  text\n---\n${svc('a')}`,
  'invalid object in the middle': [svc('a'), svc('b', 0), svc('c')].join('---\n'),
  'YAML syntax error in the middle': [svc('a'), 'apiVersion: v1\nkind: Service\nmetadata: { name: b\n', svc('c')].join('---\n'),
  'List document': `${svc('a')}---\napiVersion: v1\nkind: List\nitems:\n- ${svc('b').trimEnd().replace(/\n/g, '\n  ')}\n- ${svc('c', 0).trimEnd().replace(/\n/g, '\n  ')}\n`,
  'document end markers (parsed whole)': `${svc('a')}...\n---\n${svc('b')}`,
  'directive (parsed whole)': `%YAML 1.2\n---\n${svc('a')}`,
  'CRLF line ends': [svc('a'), svc('b')].join('---\n').replace(/\n/g, '\r\n'),
  'looks like a marker but is not': `${svc('a').replace('spec:', 'metadata2: "---"\nspec:')}---x: 1\n`,
  empty: '',
};

describe('parseFileText', () => {
  for (const [name, text] of Object.entries(corpus)) {
    it(`splits exactly as a whole-file parse does: ${name}`, () => {
      assert.deepEqual(parseFileText('f.yaml', text), parseWhole('f.yaml', text, 0, 0));
    });
  }

  it('reuses the parse of every unchanged document after an edit and re-parses the edited one', () => {
    const before = Array.from({ length: 50 }, (_, i) => svc(`s${i}`)).join('---\n');
    const first = parseFileTextIncremental('f.yaml', before, new Map());
    const after = before.replace('name: s20,', 'name: s20x,');
    const second = parseFileTextIncremental('f.yaml', after, first.cache);
    assert.deepEqual(second.documents, parseWhole('f.yaml', after, 0, 0));
    const reused = second.documents.filter((d, i) => d === first.documents[i]).length;
    assert.equal(reused, 49);
    assert.equal(second.documents[20]!.object?.metadata.name, 's20x');
  });

  it('re-parses documents whose position changed, so indices and error lines stay right', () => {
    const before = [svc('a'), 'apiVersion: v1\nkind: Service\nmetadata: { name: b\n'].join('---\n');
    const first = parseFileTextIncremental('f.yaml', before, new Map());
    const after = `${svc('z')}---\n${before}`;
    const second = parseFileTextIncremental('f.yaml', after, first.cache);
    assert.deepEqual(second.documents, parseWhole('f.yaml', after, 0, 0));
    assert.equal(second.documents[2]!.index, 2);
    assert.match(second.documents[2]!.errors[0]!.message, /at line (9|1\d), column/);
  });
});
