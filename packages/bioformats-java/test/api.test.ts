/** The public surface: a change to the exported names is a deliberate, reviewed change of this snapshot. */
import { resolve } from 'node:path';
import { registeredBackends } from '@bfio/core';
import { expect, test } from 'vitest';
import { apiSurface } from '../../../test-support/api-surface.js';
import * as api from '../src/index.js';

test('exported names', () => {
  expect(Object.keys(api).sort()).toEqual([
    'BIOFORMATS_EXTENSIONS',
    'BIOFORMATS_SHA256',
    'BIOFORMATS_URL',
    'BIOFORMATS_VERSION',
    'DEFAULT_MAX_CHUNK_BYTES',
    'EXTENSIONS_FROM_VERSION',
    'autoTransfer',
    'bioformatsBackend',
    'configureJvm',
    'installBioformats',
    'jvmStarted',
    'openBioformats',
    'projectCacheDir',
    'resolveJar',
    'start',
    'userCacheDir',
  ]);
});

test('importing registers the backend without starting a JVM', () => {
  expect(registeredBackends().some((b) => b.name === 'bioformats')).toBe(true);
  expect(api.jvmStarted()).toBe(false);
  const b = api.bioformatsBackend;
  expect(b.priority).toBe(0);
  for (const ext of [
    '.czi',
    '.lif',
    '.nd2',
    '.dv',
    '.ics',
    '.spe',
    '.dcm',
    '.svs',
    '.png',
    '.jpg',
    '.bmp',
    '.ome.tif',
  ]) {
    expect(b.extensions).toContain(ext);
  }
});

// Types too: interfaces and type aliases are API, and Object.keys never sees them.
test('exports these names and kinds, types included', () => {
  const entry = resolve(import.meta.dirname, '../src/index.ts');
  expect(apiSurface([entry])[entry]).toMatchInlineSnapshot(`
    [
      "BIOFORMATS_EXTENSIONS: const",
      "BIOFORMATS_SHA256: const",
      "BIOFORMATS_URL: const",
      "BIOFORMATS_VERSION: const",
      "BioformatsOpenOptions: interface",
      "DEFAULT_MAX_CHUNK_BYTES: const",
      "EXTENSIONS_FROM_VERSION: const",
      "InstallOptions: interface",
      "InstallResult: interface",
      "JarLocation: interface",
      "JvmInfo: interface",
      "JvmOptions: interface",
      "TransferMode: type",
      "autoTransfer: function",
      "bioformatsBackend: const",
      "configureJvm: function",
      "installBioformats: function",
      "jvmStarted: function",
      "openBioformats: function",
      "projectCacheDir: function",
      "resolveJar: function",
      "start: function",
      "userCacheDir: function",
    ]
  `);
});
