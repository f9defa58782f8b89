// Public surface of the modelnet polkadot.js client library.
export * from './chain.js';
export * from './cli.js';
export * from './events.js';
export * from './hash.js';
export * from './params.js';
export * from './range.js';
export * from './spotcheck.js';
export * from './units.js';
