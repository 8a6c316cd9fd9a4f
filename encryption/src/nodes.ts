// Node objects in file mode: every agent writes its own Node to
// <config dir>/node-<name>.yaml (temp file + rename, so readers never see half
// a file) and reads every Node in the directory. Other kinds in the same
// directory (the xds-server's Services, Routes…) are skipped.
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { formatConfigError } from '../../crds/src/errors.js';
import { NODE_API_VERSION, NODE_KIND, type NodeDoc, type NodeSpec, type NodeStatus } from '../../crds/src/node.js';
import { parseObject } from '../../crds/src/parse.js';

export interface ReadNodesResult {
  nodes: NodeDoc[];
  /** One line per Node document that failed validation. */
  errors: string[];
}

export function readNodes(configDir: string): ReadNodesResult {
  const nodes: NodeDoc[] = [];
  const errors: string[] = [];
  let files: string[];
  try {
    files = readdirSync(configDir).filter((f) => !f.startsWith('.') && /\.ya?ml$/.test(f)).sort();
  } catch {
    return { nodes, errors: [`cannot read config directory ${configDir}`] };
  }
  for (const f of files) {
    const file = join(configDir, f);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // removed between readdir and read
    }
    parseAllDocuments(text).forEach((doc, index) => {
      const value: unknown = doc.toJS();
      if (typeof value !== 'object' || value === null || (value as { kind?: unknown }).kind !== NODE_KIND || (value as { apiVersion?: unknown }).apiVersion !== NODE_API_VERSION) return;
      const r = parseObject(value, { file, index });
      if (!r.ok) errors.push(...r.errors.map(formatConfigError));
      else if (r.object.kind === NODE_KIND) {
        const { origin: _origin, ...node } = r.object;
        nodes.push(node);
      }
    });
  }
  return { nodes, errors };
}

export function nodeFile(configDir: string, name: string): string {
  return join(configDir, `node-${name}.yaml`);
}

/** The YAML of a Node object as an agent publishes it. */
export function nodeDocument(name: string, spec: NodeSpec, status: NodeStatus): Record<string, unknown> {
  return { apiVersion: NODE_API_VERSION, kind: NODE_KIND, metadata: { name }, spec, status };
}

/** Writes this node's object atomically; returns false when the file already says exactly this. */
export function writeNode(configDir: string, name: string, spec: NodeSpec, status: NodeStatus): boolean {
  const file = nodeFile(configDir, name);
  const text = `# Written by the nodemesh encryption agent of node ${name}; edits are overwritten.\n${stringify(nodeDocument(name, spec, status))}`;
  try {
    if (readFileSync(file, 'utf8') === text) return false;
  } catch {
    // not there yet
  }
  const tmp = join(configDir, `.node-${name}.yaml.${process.pid}.tmp`);
  writeFileSync(tmp, text, { mode: 0o644 });
  renameSync(tmp, file);
  return true;
}
