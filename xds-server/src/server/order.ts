import { TypeUrl, type ResourceTypeUrl } from '../../../api/src/type-urls.js';

/**
 * The order in which pending types are pushed on a stream: clusters before the
 * endpoints they name, listeners before the routes they name, so that a proxy
 * that applies responses in order never sees a dangling reference (the
 * sequencing Envoy's xDS docs prescribe for ADS).
 */
export const PUSH_ORDER: readonly ResourceTypeUrl[] = [
  TypeUrl.Cluster,
  TypeUrl.ClusterLoadAssignment,
  TypeUrl.Listener,
  TypeUrl.RouteConfiguration,
  TypeUrl.Secret,
];

/** Types whose every response must list all resources (absence means deletion). */
export function isFullStateType(t: ResourceTypeUrl): boolean {
  return t === TypeUrl.Listener || t === TypeUrl.Cluster;
}
