// Errors about user configuration. Every one names where the object came from
// (file and document index, or the Kubernetes object), what it is
// (apiVersion/kind, namespace/name) and the field path that is wrong, so that
// `nodemesh validate`, logs and status all say the same precise thing.

export interface ConfigErrorOrigin {
  /** Path of the YAML file, for the file provider. */
  file?: string;
  /** 0-based index of the document within the file. */
  index?: number;
}

export interface ConfigError extends ConfigErrorOrigin {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  /** Field path inside the object, e.g. spec.ports[0].port; '' for the whole document. */
  path: string;
  message: string;
  /**
   * 'error': the object, or the part of it the path names, is not applied as
   * written — an invalid document is left out (its last valid version is
   * kept), an invalid field falls back to its default. 'warning': applied,
   * with a caveat (an unsupported feature ignored, an unused object).
   */
  severity: 'error' | 'warning';
}

/** One line, stable format: `file#index apiVersion/kind ns/name: path: message`. */
export function formatConfigError(e: ConfigError): string {
  const where = e.file !== undefined ? `${e.file}${e.index !== undefined ? `#${e.index}` : ''}` : '<object>';
  const what = [e.apiVersion, e.kind].filter(Boolean).join('/') || 'unknown kind';
  const id = e.name ? `${e.namespace ? `${e.namespace}/` : ''}${e.name}` : '<unnamed>';
  const path = e.path ? `${e.path}: ` : '';
  return `${e.severity}: ${where} ${what} ${id}: ${path}${e.message}`;
}
