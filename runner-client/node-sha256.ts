// sha256 through node:crypto for the runner's hash chain: native, and several times faster than
// the portable implementation protocol/ uses by default (same digests). The chain runs once per
// acked event, on the same thread as `emit`.
import * as crypto from 'node:crypto';
import type { Sha256Hex } from '../protocol/hash-chain.js';

// crypto.hash (Node ≥ 20.12) hashes in one call, without a Hash object per event.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

export const nodeSha256Hex: Sha256Hex = oneShot
  ? (text) => oneShot('sha256', text, 'hex')
  : (text) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');
