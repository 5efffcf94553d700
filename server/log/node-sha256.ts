// sha256 through node:crypto for the server's hash chain: native, and several times faster
// than the portable implementation protocol/ uses by default (same digests).
import { createHash } from 'node:crypto';
import type { Sha256Hex } from '../../protocol/hash-chain.js';

export const nodeSha256Hex: Sha256Hex = (text) => createHash('sha256').update(text, 'utf8').digest('hex');
