export * from './config.js';
export * from './token-prior.js';
export * from './train-prior.js';
