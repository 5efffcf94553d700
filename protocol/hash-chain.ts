// PROTOCOL §Integrity: the per-build sha256 hash chain that server and runner compute
// independently, and the content key that decides "identical" for duplicates.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { canonicalJson } from './canonical-json.js';

/** `d_0`: the digest of an empty log. */
export const EMPTY_DIGEST = '';

/** What the chain covers of one event; `receivedAt` is server-side and deliberately excluded. */
export interface ChainEvent {
  readonly seq: number;
  readonly type: string;
  /** Absent means `null` (PROTOCOL §Append). */
  readonly data?: unknown;
  /** Absent means `null`. */
  readonly time?: string | null;
}

/** Lower-case hex sha256 of a string's UTF-8 bytes. */
export type Sha256Hex = (text: string) => string;

/**
 * The portable sha256 (pure JS, runs in browsers). Node callers on a hot path pass
 * `node:crypto`'s instead — several times faster — and get identical digests.
 */
export const portableSha256Hex: Sha256Hex = (text) => bytesToHex(sha256(utf8ToBytes(text)));

/** `d_n = hex(sha256(d_{n-1} + "\n" + canonicalJson({seq, type, data, time})))`, hashed as UTF-8. */
export function chainDigest(previous: string, event: ChainEvent, sha256Hex: Sha256Hex = portableSha256Hex): string {
  const body = canonicalJson({
    seq: event.seq,
    type: event.type,
    data: event.data ?? null,
    time: event.time ?? null,
  });
  return sha256Hex(`${previous}\n${body}`);
}

/** Folds `chainDigest` over `events` (in seq order) starting from the digest `start`. */
export function chainDigests(start: string, events: Iterable<ChainEvent>, sha256Hex: Sha256Hex = portableSha256Hex): string {
  let digest = start;
  for (const event of events) digest = chainDigest(digest, event, sha256Hex);
  return digest;
}

/**
 * The content an append retry must repeat exactly to count as a duplicate (PROTOCOL
 * §Append rule 1): canonical JSON of `{type, data, time}`, with absent data/time as null.
 * `seq` is left out because the caller compares events at the same seq.
 */
export function eventContentKey(event: Omit<ChainEvent, 'seq'>): string {
  return canonicalJson({ type: event.type, data: event.data ?? null, time: event.time ?? null });
}
