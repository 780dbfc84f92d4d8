/**
 * Whole files of a store written in parts, local or in object storage: the plan, the metadata documents
 * finalize writes, listing what the parts have written, and removing the bookkeeping folder `.bfio/`.
 * Local writes are atomic (temporary + rename); an object PUT is atomic by nature.
 */
import { isObjectStoreUrl, objectStoreFor } from '@bfio/core/backend';
import {
  type Dirent,
  dirname,
  join,
  mkdir,
  pid,
  randomHex,
  readdir,
  relative,
  rename,
  rm,
  sep,
  stat,
  writeFile,
} from '#platform';
import { joinLocation, readBytes } from '../location.js';

/** The folder (prefix) of a store's part bookkeeping: the plan and the tasks' spools. */
export const BOOKKEEPING = '.bfio';

export function readStoreFile(target: string, rel: string): Promise<Uint8Array | undefined> {
  return readBytes(joinLocation(target, rel));
}

export async function writeStoreFile(target: string, rel: string, bytes: Uint8Array | string): Promise<void> {
  const body = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  if (isObjectStoreUrl(target)) {
    await (await objectStoreFor(target)).put(joinLocation(target, rel), body);
    return;
  }
  const file = join(target, rel);
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${pid()}-${randomHex(4)}.tmp`;
  try {
    await writeFile(tmp, body);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Every file of the store (relative key → size), bookkeeping and temporaries left out. */
export async function listStore(target: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (isObjectStoreUrl(target)) {
    const prefix = `${target.replace(/\/+$/, '')}/`;
    for await (const o of (await objectStoreFor(target)).list(prefix)) {
      const rel = o.url.slice(prefix.length);
      if (!rel.startsWith(`${BOOKKEEPING}/`)) out.set(rel, o.size);
    }
    return out;
  }
  const walk = async (dir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = join(dir, e.name);
      if (e.isDirectory()) {
        if (dir === target && e.name === BOOKKEEPING) continue;
        await walk(full);
      } else if (!e.name.endsWith('.tmp')) {
        out.set(relative(target, full).split(sep).join('/'), (await stat(full)).size);
      }
    }
  };
  await walk(target);
  return out;
}

/** URLs of every object under `target/rel` in object storage (`rel` '' for the whole store). */
export async function objectsUnder(target: string, rel = ''): Promise<string[]> {
  const urls: string[] = [];
  const prefix = `${joinLocation(target, rel).replace(/\/+$/, '')}/`;
  for await (const o of (await objectStoreFor(target)).list(prefix)) urls.push(o.url);
  return urls;
}

/** Removes the bookkeeping folder (the plan and any spool a killed task left). */
export async function removeBookkeeping(target: string): Promise<void> {
  if (!isObjectStoreUrl(target)) {
    await rm(join(target, BOOKKEEPING), { recursive: true, force: true });
    return;
  }
  await (await objectStoreFor(target)).delete(await objectsUnder(target, BOOKKEEPING));
}
