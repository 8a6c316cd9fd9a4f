// RBAC permissions and principals (envoy.config.rbac.v3), as Envoy's
// Filters::Common::RBAC matchers. A network filter has no request: header
// matchers see no headers and url_path never matches.
import type { Decoded } from '../types.js';
import { ConfigRejected, msg, msgs, num, oneof, str, wrappedNum } from '../routing/fields.js';
import { compileHeaderMatcher, compileStringMatcher, pathOnly, type HeaderLookup, type StringMatch } from '../routing/matchers.js';
import { splitAddress } from '../routing/host.js';
import { cidrContains, parseCidr } from './cidr.js';

/** A peer certificate's identities, as Envoy reads them (subject in RFC 2253 form). */
export interface RbacPeer {
  uri: readonly string[];
  dns: readonly string[];
  subject: string;
}

/** The downstream connection; shaped like the listener's ConnectionFacts plus its TLS state. */
export interface RbacConnection {
  /** The direct peer. */
  sourceAddress: string;
  sourcePort: number;
  /** The local (original destination) address. */
  destinationAddress: string;
  destinationPort: number;
  /** SNI; empty or undefined without one. */
  serverName?: string;
  /** Present when the connection is TLS; `peer` when the client presented a certificate. */
  tls?: { peer?: RbacPeer };
}

export interface RbacInput {
  conn: RbacConnection;
  headers: HeaderLookup;
  /** :path with query, for HTTP. */
  path?: string;
  /** The downstream remote address after x-forwarded-for processing (the connection peer for network RBAC). */
  remoteAddress: string;
}

export type RbacMatcher = (input: RbacInput) => boolean;

function cidr(d: Decoded | undefined): (addr: string) => boolean {
  const range = parseCidr(str(d, 'address_prefix'), wrappedNum(d, 'prefix_len') ?? 0);
  return (addr) => cidrContains(range, addr);
}

function urlPath(d: Decoded | undefined): RbacMatcher {
  if (oneof(d, 'rule') !== 'path') throw new ConfigRejected('PathMatcher: unsupported rule');
  const match = compileStringMatcher(msg(d, 'path'));
  return (i) => i.path !== undefined && match(pathOnly(i.path));
}

function authenticated(d: Decoded | undefined): RbacMatcher {
  const name: StringMatch | undefined = msg(d, 'principal_name') ? compileStringMatcher(msg(d, 'principal_name')) : undefined;
  return ({ conn }) => {
    if (!conn.tls) return false;
    if (!name) return true;
    // URI SANs, then DNS SANs, then the subject: the order Envoy tries them.
    const peer = conn.tls.peer ?? { uri: [], dns: [], subject: '' };
    return peer.uri.some(name) || peer.dns.some(name) || name(peer.subject);
  };
}

export function compilePermission(p: Decoded): RbacMatcher {
  const kind = oneof(p, 'rule');
  switch (kind) {
    case 'any':
      return () => true;
    case 'and_rules': {
      const rules = msgs(msg(p, 'and_rules'), 'rules').map(compilePermission);
      return (i) => rules.every((r) => r(i));
    }
    case 'or_rules': {
      const rules = msgs(msg(p, 'or_rules'), 'rules').map(compilePermission);
      return (i) => rules.some((r) => r(i));
    }
    case 'not_rule': {
      const rule = compilePermission(msg(p, 'not_rule') ?? {});
      return (i) => !rule(i);
    }
    case 'header': {
      const h = compileHeaderMatcher(msg(p, 'header') ?? {});
      return (i) => h(i.headers);
    }
    case 'url_path':
      return urlPath(msg(p, 'url_path'));
    case 'destination_ip': {
      const c = cidr(msg(p, 'destination_ip'));
      return (i) => c(i.conn.destinationAddress);
    }
    case 'destination_port': {
      const port = num(p, 'destination_port');
      return (i) => i.conn.destinationPort === port;
    }
    case 'destination_port_range': {
      const r = msg(p, 'destination_port_range');
      const start = num(r, 'start');
      const end = num(r, 'end');
      return (i) => i.conn.destinationPort >= start && i.conn.destinationPort < end;
    }
    case 'requested_server_name': {
      const m = compileStringMatcher(msg(p, 'requested_server_name'));
      return (i) => m(i.conn.serverName ?? '');
    }
    default:
      throw new ConfigRejected(`RBAC permission ${kind ?? '(none)'} is not supported`);
  }
}

export function compilePrincipal(p: Decoded): RbacMatcher {
  const kind = oneof(p, 'identifier');
  switch (kind) {
    case 'any':
      return () => true;
    case 'and_ids': {
      const ids = msgs(msg(p, 'and_ids'), 'ids').map(compilePrincipal);
      return (i) => ids.every((r) => r(i));
    }
    case 'or_ids': {
      const ids = msgs(msg(p, 'or_ids'), 'ids').map(compilePrincipal);
      return (i) => ids.some((r) => r(i));
    }
    case 'not_id': {
      const id = compilePrincipal(msg(p, 'not_id') ?? {});
      return (i) => !id(i);
    }
    case 'authenticated':
      return authenticated(msg(p, 'authenticated'));
    case 'source_ip':
    case 'direct_remote_ip': {
      // source_ip is the connection's remote address; without PROXY protocol that is the direct peer.
      const c = cidr(msg(p, kind));
      return (i) => c(i.conn.sourceAddress);
    }
    case 'remote_ip': {
      const c = cidr(msg(p, 'remote_ip'));
      return (i) => c(splitAddress(i.remoteAddress).ip);
    }
    case 'header': {
      const h = compileHeaderMatcher(msg(p, 'header') ?? {});
      return (i) => h(i.headers);
    }
    case 'url_path':
      return urlPath(msg(p, 'url_path'));
    default:
      throw new ConfigRejected(`RBAC principal ${kind ?? '(none)'} is not supported`);
  }
}

/** A Policy: some permission and some principal match. Conditions (CEL) are refused. */
export function compilePolicy(p: Decoded, name: string): RbacMatcher {
  if (msg(p, 'condition') || msg(p, 'checked_condition')) throw new ConfigRejected(`RBAC policy ${name}: conditions are not supported`);
  const permissions = msgs(p, 'permissions').map(compilePermission);
  const principals = msgs(p, 'principals').map(compilePrincipal);
  return (i) => permissions.some((m) => m(i)) && principals.some((m) => m(i));
}
