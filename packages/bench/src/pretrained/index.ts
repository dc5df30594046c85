export * from './pretrained.js';
export * from './taming-vqgan.js';
export * from './load.js';
export * from './codec.js';
export * from './videogpt-vqvae.js';
export * from './open-magvit2.js';
