// sha256 through node:crypto for the server's hash chain: native, and several times faster
// than the portable implementation protocol/ uses by default (same digests).
import * as crypto from 'node:crypto';
import type { Sha256Hex } from '../../protocol/hash-chain.js';

// crypto.hash (Node ≥ 20.12) hashes in one call, without a Hash object per event: the hash
// chain runs once per acked event inside the serial commit loop.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

export const nodeSha256Hex: Sha256Hex = oneShot
  ? (text) => oneShot('sha256', text, 'hex')
  : (text) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');
