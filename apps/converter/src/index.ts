export { type ConvertedFile, type ConvertOptions, convertToOmeTiff, stem } from './convert.js';
export { SAMPLE, writeSample } from './sample.js';
