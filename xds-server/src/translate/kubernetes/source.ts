// Links from model elements and translation errors back to the user object.
import type { ConfigError } from '../../../../crds/src/errors.js';
import type { KubeObject } from '../../../../crds/src/resources.js';
import type { SourceRef } from '../../model/types.js';

export function sourceRef(o: KubeObject): SourceRef {
  const ref: SourceRef = { kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name };
  if (o.origin.file !== undefined) ref.file = o.origin.file;
  if (o.origin.index !== undefined) ref.index = o.origin.index;
  return ref;
}

export function objectError(o: KubeObject, path: string, message: string, severity: ConfigError['severity']): ConfigError {
  return {
    ...o.origin,
    apiVersion: o.apiVersion,
    kind: o.kind,
    namespace: o.metadata.namespace,
    name: o.metadata.name,
    path,
    message,
    severity,
  };
}

/** `Kind namespace/name`, for messages that point at another object. */
export function describe(o: KubeObject): string {
  return `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`;
}
