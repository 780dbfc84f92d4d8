export * from './errors/index.js';
export * from './dtype.js';
export * from './backend.js';
