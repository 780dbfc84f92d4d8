/**
 * The backend registry and backend selection.
 *
 * Core never imports a backend statically (backends depend on core, not the reverse). Backends register
 * themselves when their package is imported; when nothing registered can open a file, core tries to import
 * the known backend packages once (a dynamic import, which works when they are installed) before giving up.
 */
import { basename, importPackage, open, PLATFORM, resolve, stat } from '#platform';
import { type Backend, isRemote, type ProbeInput, SPECIFICATION_VERSION } from './backend.js';
import {
  asIoError,
  BfioError,
  FileNotFoundError,
  InvalidDataError,
  MissingBackendError,
  UnknownFormatError,
  UnsupportedError,
} from './errors/index.js';
import { isObjectStoreUrl } from './object-store.js';
import { fetchWithRetry } from './remote.js';

const backends = new Map<string, Backend>();
let triedKnown = false;

/** The backends bfio knows by name, and the package that provides each. */
export const KNOWN_BACKENDS: Record<string, string> = {
  tiff: '@bfio/tiff',
  zarr: '@bfio/zarr',
  bioformats: '@bfio/bioformats-java',
};

/** Backends that need Node (Bio-Formats runs a JVM): a browser build never imports them. */
const NODE_ONLY_BACKENDS = new Set(['bioformats']);

/** Whether backend `name` can run here (every backend in Node; not the Node-only ones in a browser). */
const runsHere = (name: string) => PLATFORM === 'node' || !NODE_ONLY_BACKENDS.has(name);

/**
 * Makes a backend loadable by name: when a user forces `backend: name` (or nothing registered can open a
 * file), core imports `packageName` if it is installed, or says to install it.
 */
export function registerKnownBackend(name: string, packageName: string): void {
  KNOWN_BACKENDS[name] = packageName;
  triedKnown = false;
}

/** Aliases users of Python bfio know. */
const ALIASES: Readonly<Record<string, string>> = { python: 'tiff', java: 'bioformats', zarr3: 'zarr' };

/** Registers (or replaces) a backend. Backend packages call this when imported. */
export function registerBackend(backend: Backend): void {
  if (backend.specificationVersion !== SPECIFICATION_VERSION) {
    throw new InvalidDataError(
      `Backend '${backend.name}' implements contract ${String(backend.specificationVersion)}, but @bfio/core speaks ${SPECIFICATION_VERSION}; install matching versions of ${backend.packageName} and @bfio/core`,
    );
  }
  backends.set(backend.name, backend);
}

export function unregisterBackend(name: string): boolean {
  return backends.delete(name);
}

export function registeredBackends(): Backend[] {
  return [...backends.values()];
}

export function normalizeBackendName(name: string): string {
  return ALIASES[name] ?? name;
}

/** Imports one known backend package (which registers itself). Returns false when it is not installed. */
const importBackendPackage = importPackage;

/** Imports every known backend package that is installed (once per process). */
export async function loadInstalledBackends(): Promise<void> {
  if (triedKnown) return;
  triedKnown = true;
  for (const [name, pkg] of Object.entries(KNOWN_BACKENDS)) {
    if (!backends.has(name) && runsHere(name)) await importBackendPackage(pkg);
  }
}

/** Ensures a backend by name is registered, importing its package if needed. */
export async function requireBackend(name: string, file?: string): Promise<Backend> {
  const key = normalizeBackendName(name);
  let backend = backends.get(key);
  if (!backend && !runsHere(key)) {
    throw new UnsupportedError(
      `The ${key} backend (${KNOWN_BACKENDS[key]}) is Node-only: it runs Bio-Formats in a Java VM, which a browser does not have; in a browser read OME-TIFF (@bfio/tiff) or OME-Zarr (@bfio/zarr)`,
      file,
    );
  }
  if (!backend && KNOWN_BACKENDS[key]) {
    await importBackendPackage(KNOWN_BACKENDS[key]);
    backend = backends.get(key);
    if (!backend) throw new MissingBackendError(key, KNOWN_BACKENDS[key], file);
  }
  if (!backend) {
    const names = [...new Set([...backends.keys(), ...Object.keys(KNOWN_BACKENDS)])].join(', ');
    throw new InvalidDataError(`Unknown backend '${name}'; choose one of: ${names}`, file);
  }
  return backend;
}

/**
 * Reads what selection needs: whether `path` is a directory, and its first bytes (of `blob` when given:
 * a File/Blob named `path`).
 */
export async function probeInput(path: string, blob?: Blob): Promise<ProbeInput> {
  if (blob) {
    const firstBytes = new Uint8Array(await blob.slice(0, 4096).arrayBuffer());
    return { path, firstBytes, isDirectory: false, blob };
  }
  if (isRemote(path)) return probeRemote(path);
  const abs = resolve(path);
  const info = await stat(abs).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') throw new FileNotFoundError(abs);
    throw asIoError(err, abs, 'read');
  });
  if (info.isDirectory()) return { path: abs, firstBytes: new Uint8Array(0), isDirectory: true };
  const handle = await open(abs, 'r').catch((err) => Promise.reject(asIoError(err, abs, 'read')));
  try {
    const buffer = new Uint8Array(Math.min(4096, info.size));
    await handle
      .read(buffer, 0, buffer.length, 0)
      .catch((err) => Promise.reject(asIoError(err, abs, 'read', 0)));
    return { path: abs, firstBytes: buffer, isDirectory: false };
  } finally {
    await handle.close();
  }
}

/** The probe of an http(s) URL: its first bytes by a range request, unless it names a store. */
async function probeRemote(url: string): Promise<ProbeInput> {
  const store = { path: url, firstBytes: new Uint8Array(0), isDirectory: true, remote: true };
  if (/(\/|\.zarr)$/i.test(new URL(url).pathname)) return store;
  let response: Response;
  try {
    response = await fetchWithRetry(url, { headers: { Range: 'bytes=0-4095' } });
  } catch (err) {
    if (BfioError.isInstance(err)) throw err;
    throw new BfioError(
      'not-found',
      `${url} could not be fetched (${(err as Error).message}); check the URL and the network`,
      { file: url, cause: err },
    );
  }
  if (response.status === 404) throw new FileNotFoundError(url);
  // No file here (403 from object stores, or an HTML listing): perhaps a store (a "directory").
  if (!response.ok || (response.headers.get('content-type') ?? '').startsWith('text/html')) {
    await response.body?.cancel();
    return store;
  }
  // At most 4 KiB of the body: a server that ignores Range sends the whole file.
  const head = new Uint8Array(4096);
  let got = 0;
  const reader = response.body?.getReader();
  while (reader && got < head.length) {
    const { done, value } = await reader.read();
    if (done) break;
    const n = Math.min(value.length, head.length - got);
    head.set(value.subarray(0, n), got);
    got += n;
  }
  await reader?.cancel();
  return { path: url, firstBytes: head.subarray(0, got), isDirectory: false, remote: true };
}

/** Length of the longest extension of `backend` that `path` ends with (0 if none). */
export function extensionMatch(path: string, extensions: readonly string[]): number {
  const name = basename(path).toLowerCase().replace(/\/+$/, '');
  let best = 0;
  for (const ext of extensions) if (name.endsWith(ext) && ext.length > best) best = ext.length;
  return best;
}

/**
 * Orders the candidates for a file: backends whose magic bytes match (or that have no sniff) and that claim
 * the extension, longest extension first, then priority; then magic-only matches; `tried` collects why others
 * were left out.
 */
function rank(
  input: ProbeInput,
  mode: 'read' | 'write',
  tried: { backend: string; reason: string }[],
): Backend[] {
  const scored: { backend: Backend; ext: number; magic: boolean }[] = [];
  for (const backend of backends.values()) {
    const exts = mode === 'read' ? backend.extensions : (backend.writeExtensions ?? []);
    const ext = extensionMatch(input.path, exts);
    if (mode === 'write') {
      if (!backend.create) continue;
      if (ext > 0) scored.push({ backend, ext, magic: false });
      else
        tried.push({ backend: backend.name, reason: `does not write ${exts.join('/') || 'any extension'}` });
      continue;
    }
    if (!backend.open) continue;
    if (input.blob && !backend.readsBlobs) {
      tried.push({ backend: backend.name, reason: 'does not read File/Blob objects' });
      continue;
    }
    const magic = backend.sniff ? backend.sniff(input) : false;
    if (backend.sniff && !magic && !input.isDirectory && ext === 0) {
      tried.push({ backend: backend.name, reason: 'magic bytes and extension do not match' });
      continue;
    }
    if (!backend.sniff && ext === 0 && !input.isDirectory) {
      tried.push({ backend: backend.name, reason: 'extension not recognised' });
      continue;
    }
    scored.push({ backend, ext, magic });
  }
  scored.sort(
    (a, b) =>
      b.ext - a.ext ||
      Number(b.magic) - Number(a.magic) ||
      (b.backend.priority ?? 0) - (a.backend.priority ?? 0),
  );
  return scored.map((s) => s.backend);
}

/**
 * Picks the backend that reads `path` (or `blob`, a File/Blob named `path`): the first ranked candidate whose
 * probe accepts the file.
 */
export async function selectReadBackend(path: string, forced?: string, blob?: Blob): Promise<Backend> {
  if (forced) {
    const backend = await requireBackend(forced, path);
    if (blob && !backend.readsBlobs) {
      throw new UnsupportedError(
        `${path}: the ${backend.name} backend does not read File/Blob objects; give it a URL`,
        path,
      );
    }
    return backend;
  }
  const input = await probeInput(path, blob);
  const pick = async (tried: { backend: string; reason: string }[]) => {
    for (const backend of rank(input, 'read', tried)) {
      const verdict = backend.canOpen ? await backend.canOpen(input) : true;
      if (verdict === true) return backend;
      tried.push({ backend: backend.name, reason: verdict });
    }
    return undefined;
  };
  let tried: { backend: string; reason: string }[] = [];
  let chosen = await pick(tried);
  if (!chosen && !triedKnown) {
    await loadInstalledBackends();
    tried = [];
    chosen = await pick(tried);
  }
  if (chosen) return chosen;
  const missing = Object.entries(KNOWN_BACKENDS)
    .filter(([name]) => !backends.has(name) && runsHere(name))
    .map(([, pkg]) => pkg);
  throw new UnknownFormatError(
    path,
    tried,
    !missing.length
      ? ''
      : PLATFORM === 'browser'
        ? `Importing ${missing.join(' or ')} (which registers its backend) may add support.`
        : `Installing ${missing.join(' or ')} may add support.`,
  );
}

/** Picks the backend that writes `path`, by its extension (or the forced name). */
export async function selectWriteBackend(path: string, forced?: string): Promise<Backend> {
  if (isRemote(path) && !isObjectStoreUrl(path))
    throw new UnsupportedError(
      `${path}: writing to an http(s) URL is not supported; write to a local path or to object storage (s3://bucket/key)`,
      path,
    );
  if (forced) return requireBackend(forced, path);
  const input: ProbeInput = {
    path: isRemote(path) ? path : resolve(path),
    firstBytes: new Uint8Array(0),
    isDirectory: false,
  };
  let tried: { backend: string; reason: string }[] = [];
  let ranked = rank(input, 'write', tried);
  if (ranked.length === 0) {
    await loadInstalledBackends();
    tried = [];
    ranked = rank(input, 'write', tried);
  }
  if (ranked[0]) return ranked[0];
  throw new UnknownFormatError(path, tried, 'Name the output .ome.tif(f) or .ome.zarr, or force a backend.');
}
