// Builds the decoded shape the engine receives from the xDS client, from a
// generated-type object: encoded and decoded exactly as on the wire, so unit
// tests see the same field names, oneof markers and string-typed 64-bit ints.
import { decodeMessage, encodeMessage, packAny, type PackedAny } from '../../../../api/src/any.js';
import type { Decoded } from '../types.js';

export function decoded<T extends object>(fullName: string, message: T): Decoded {
  return decodeMessage(fullName, encodeMessage(fullName, message));
}

/** An Any, as a typed_config field carries it. */
export function any<T extends object>(fullName: string, message: T): PackedAny {
  return packAny(fullName, message);
}
