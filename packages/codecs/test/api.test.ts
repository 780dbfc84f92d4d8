/**
 * The package's public surface, types included (snapshot, so API changes show in review), and the platform it
 * resolved to here: Node's, with the codec table every backend relies on.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiSurface } from '../../../test-support/api-surface.js';
import { codecAvailable, implementation, platformName } from '../src/index.js';

describe('@bfio/codecs API', () => {
  it('exports these names and kinds, types included', () => {
    const entry = resolve(import.meta.dirname, '../src/index.ts');
    expect(apiSurface([entry])[entry]).toMatchInlineSnapshot(`
      [
        "BuiltinCodec: type",
        "ChunkLane: class",
        "CodecError: class",
        "CodecFn: type",
        "CodecParams: interface",
        "CodecTable: type",
        "LaneJob: interface",
        "PlaceParams: interface",
        "RowsJob: interface",
        "RunOptions: interface",
        "ScatterParams: interface",
        "WorkerPool: class",
        "WorkerPoolOptions: interface",
        "applyFloatPredictor: function",
        "applyHorizontal: function",
        "availableLanes: function",
        "bloscFrameLength: function",
        "codecAvailable: function",
        "copyBlock: function",
        "crc32c: function",
        "elementView: function",
        "float16ToFloat32: function",
        "implementation: function",
        "onSharedMemory: function",
        "platformName: const",
        "prefaultAhead: function",
        "prefaulting: function",
        "reverseBits: function",
        "runHere: function",
        "runHereSync: function",
        "setSharedWorkerPool: function",
        "sharedWorkerPool: function",
        "swapBytes: function",
        "undoFloatPredictor: function",
        "undoHorizontal: function",
        "unpackSamples: function",
        "unsignedView: function",
        "ycbcrToRgb: function",
      ]
    `);
  });

  it('resolves to the Node platform under Node, with every codec the backends use', () => {
    expect(platformName).toBe('node');
    for (const codec of [
      'inflate',
      'inflate-raw',
      'gunzip',
      'deflate',
      'deflate-raw',
      'gzip',
      'zstd-decode',
      'zstd-encode',
      'lzw-decode',
      'lzw-encode',
      'jpeg-decode',
      'packbits-decode',
      'blosc-decode',
      'blosc-encode',
      'lz4-decode',
      'lz4-encode',
      'raw',
    ]) {
      expect(codecAvailable(codec), codec).toBe(true);
    }
    expect(codecAvailable('no-such-codec')).toBe(false);
    expect(implementation('zstd-decode')).toBe('native');
  });
});
