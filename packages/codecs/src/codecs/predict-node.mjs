/**
 * TIFF's horizontal predictor (`params.predict`) before an encoder on Node: in C when libdeflate's addon has
 * it (horizontalPredict, vectorised: ~0.09 CPU-s per 512 MiB of uint16 tiles against ~0.65 for filters.mjs's
 * JavaScript loop, beside ~2.6 for libdeflate level 1 itself), else that loop.
 */
import { prefilter } from '../filters.mjs';
import { libdeflate } from './native-addons.mjs';

/** `encode` preceded by the predictor; marked `predicts`, so run-task.mjs skips its own prefilter step. */
export function predicting(encode) {
  const predicted = (input, params, into) => {
    const p = params.predict;
    if (p) {
      const native = libdeflate()?.horizontalPredict;
      if (native && (p.size === 1 || p.size === 2 || p.size === 4))
        native(input, p.size, p.rowLength, p.stride);
      else prefilter(input, params);
    }
    return encode(input, params, into);
  };
  predicted.predicts = true;
  return predicted;
}
