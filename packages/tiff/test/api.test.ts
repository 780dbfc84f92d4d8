/**
 * The package's public surface: what it exports (snapshot, so API changes show in review), the backend
 * object's fields, magic-byte sniffing of the four TIFF headers, and registration on import.
 */
import { resolve } from 'node:path';
import { registeredBackends } from '@bfio/core';
import { SPECIFICATION_VERSION } from '@bfio/core/backend';
import { describe, expect, it } from 'vitest';
import { apiSurface } from '../../../test-support/api-surface.js';
import { available, dataPath } from '../../../test-support/env.js';
import * as api from '../src/index.js';
import { probe, tiffBackend } from '../src/index.js';

const input = (bytes: number[], path = '/x.tif') => ({
  path,
  firstBytes: Uint8Array.from(bytes),
  isDirectory: false,
});

describe('@bfio/tiff API', () => {
  it('exports', () => {
    expect(Object.keys(api).sort()).toEqual([
      'TiffReader',
      'imageSize',
      'probe',
      'tiffBackend',
      'tiffReferences',
    ]);
  });

  it('registers the backend when imported', () => {
    expect(registeredBackends().find((b) => b.name === 'tiff')).toBe(tiffBackend);
  });

  it('describes itself', () => {
    expect(tiffBackend).toMatchObject({
      specificationVersion: SPECIFICATION_VERSION,
      name: 'tiff',
      packageName: '@bfio/tiff',
      priority: 10,
      writeExtensions: ['.ome.tif', '.ome.tiff', '.tif', '.tiff'],
    });
    expect(tiffBackend.extensions).toEqual([
      '.ome.tif',
      '.ome.tiff',
      '.ome.tf2',
      '.ome.tf8',
      '.ome.btf',
      '.tif',
      '.tiff',
      '.btf',
      '.tf2',
      '.tf8',
      '.companion.ome',
    ]);
    expect(typeof tiffBackend.open).toBe('function');
    expect(typeof tiffBackend.create).toBe('function');
  });

  it('sniffs classic and BigTIFF headers in both byte orders, and nothing else', () => {
    expect(tiffBackend.sniff!(input([0x49, 0x49, 42, 0, 8, 0, 0, 0]))).toBe(true);
    expect(tiffBackend.sniff!(input([0x4d, 0x4d, 0, 42, 0, 0, 0, 8]))).toBe(true);
    expect(tiffBackend.sniff!(input([0x49, 0x49, 43, 0, 8, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0]))).toBe(true);
    expect(tiffBackend.sniff!(input([0x4d, 0x4d, 0, 43, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16]))).toBe(true);
    expect(tiffBackend.sniff!(input([0x49, 0x49, 42, 0]))).toBe(false); // too short
    expect(tiffBackend.sniff!(input([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(false); // PNG
    expect(tiffBackend.sniff!(input([0x4d, 0x49, 0, 42, 0, 0, 0, 8]))).toBe(false);
    expect(tiffBackend.sniff!({ path: '/d', firstBytes: new Uint8Array(), isDirectory: true })).toBe(false);
  });

  it.skipIf(!available('data'))('canOpen accepts real TIFF, BigTIFF and companion files', async () => {
    for (const rel of [
      'image-tiff/images/bigtiff/BigTIFFMotorola.tif',
      'polus-image-tools/bunny.ome.tif',
      'exampletiffs/ometiff_testdata/multiples/companion/multifile.companion.ome',
    ]) {
      expect(await tiffBackend.canOpen!(await probe(dataPath(rel))), rel).toBe(true);
    }
  });
});

// Types too: interfaces and type aliases are API, and Object.keys never sees them.
it('exports these names and kinds, types included', () => {
  const entry = resolve(import.meta.dirname, '../src/index.ts');
  expect(apiSurface([entry])[entry]).toMatchInlineSnapshot(`
    [
      "Reference: type",
      "ReferenceFileSystem: interface",
      "TiffReader: class",
      "TiffReaderOptions: interface",
      "TiffRefsOptions: interface",
      "imageSize: function",
      "probe: function",
      "tiffBackend: const",
      "tiffReferences: function",
    ]
  `);
});
