/**
 * What the page needs of TensorFlow.js: core ops + layers (to load LayersModels) + the CPU backend.
 * The build aliases '@tensorflow/tfjs' here, dropping the converter and tfjs-data the page never uses;
 * the WebGL and WASM backends are loaded on demand by backend-shim.ts.
 */
export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
