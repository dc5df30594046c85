export * from './pretrained.js';
export * from './taming-vqgan.js';
