// The wire contract in one import: limits, names, problem codes, schemas, integrity and the reducer.
export * from './limits.js';
export * from './headers.js';
export * from './problem-codes.js';
export * from './schemas.js';
export * from './canonical-json.js';
export * from './hash-chain.js';
export * from './build-state.js';
export * from './sse-frames.js';
export * from './token-shape.js';
