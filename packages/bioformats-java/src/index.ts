/**
 * @bfio/bioformats-java: every Bio-Formats format for bfio, through the npm `java` bridge.
 * Importing this package registers the 'bioformats' backend with @bfio/core; the JVM starts on first use.
 */
import { registerBackend } from '@bfio/core';
import { bioformatsBackend } from './backend.js';

export { bioformatsBackend } from './backend.js';
export { BIOFORMATS_EXTENSIONS, EXTENSIONS_FROM_VERSION } from './extensions.js';
export {
  BIOFORMATS_SHA256,
  BIOFORMATS_URL,
  BIOFORMATS_VERSION,
  type InstallOptions,
  type InstallResult,
  installBioformats,
} from './install.js';
export { type JarLocation, projectCacheDir, resolveJar, userCacheDir } from './jar.js';
export { configureJvm, type JvmInfo, type JvmOptions, jvmStarted, start } from './jvm.js';
export { type BioformatsOpenOptions, DEFAULT_MAX_CHUNK_BYTES, openBioformats } from './reader.js';
export { autoTransfer, type TransferMode } from './transfer.js';

registerBackend(bioformatsBackend);
