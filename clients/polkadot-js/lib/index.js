// Public surface of the modelnet polkadot.js client library.
export * from './calls.js';
export * from './chain.js';
export * from './cli.js';
export * from './events.js';
export * from './executor.js';
export * from './hash.js';
export * from './listings.js';
export * from './mlp.js';
export * from './numbers.js';
export * from './output.js';
export * from './params.js';
export * from './pieces.js';
export * from './placement.js';
export * from './range.js';
export * from './sources.js';
export * from './spotcheck.js';
export * from './units.js';
