export * from './options.js';
export * from './init.js';
export * from './encoder.js';
export * from './decoder.js';
export * from './discriminator.js';
export * from './networks.js';
export * from './batchnorm.js';
