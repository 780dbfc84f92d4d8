/**
 * The first step of opening: find the Zarr root, choose the store (zarrita's FetchStore for http(s), our
 * NodeStore for a folder), read consolidated metadata and the root node.
 */
import { CorruptFileError, isBfioError } from '@bfio/core';
import { fetchWithRetry, isRemote } from '@bfio/core/backend';
import * as zarr from 'zarrita';
import { strictStore } from '../chunk-keys.js';
import { locateRoot, type NodeInfo, readConsolidated, readNode } from '../layout.js';
import { NodeStore } from '../store.js';
import type { ArraySource } from './arrays.js';
import { folderIdentity } from './identity.js';
import type { ZarrOpenOptions } from './options.js';

export interface OpenStore extends ArraySource {
  /** OME-XML beside an old bioformats2raw layout's `data.zarr` (see locateRoot). */
  omeXmlFile?: string;
  /** v2 `.zmetadata` content, when the store is consolidated. */
  consolidated?: Record<string, unknown>;
  /** The root node: an array, or a group whose attributes say the layout. */
  node: NodeInfo;
  /** A local store's identity at open (see identity.ts); undefined for a remote one. */
  identity?: string;
  /** What `details` reports about the store, filled in by the later steps too. */
  details: Record<string, unknown>;
}

export async function openStore(file: string, options: ZarrOpenOptions): Promise<OpenStore> {
  const located = await locateRoot(file);
  if (!located)
    throw new CorruptFileError(file, 'no Zarr metadata (zarr.json, .zgroup, .zarray or .zattrs) found');
  const { root, format } = located;
  // Taken before any metadata is read: a store replaced from here on is noticed by every read.
  const remote = isRemote(root);
  const identity = remote ? undefined : await folderIdentity(root);
  // A store at an http(s) URL is read through zarrita's FetchStore (chunks inside shards by range
  // requests); a local one through NodeStore, whose direct chunk plans let the codec workers read files.
  const store = remote
    ? new zarr.FetchStore(root, { fetch: (request: Request) => fetchWithRetry(request) })
    : new NodeStore(root);
  const consolidated = format === 2 ? await readConsolidated(root) : undefined;
  if (consolidated && store instanceof NodeStore) await store.useConsolidated();
  const loc = zarr.root(options.strict ? strictStore(store, file) : store);
  const details: Record<string, unknown> = { zarrFormat: format, consolidated: consolidated !== undefined };

  const node = await readNode(root, '', format, consolidated).catch((err: unknown) => {
    if (isBfioError(err, 'io-error')) throw err;
    throw new CorruptFileError(file, `unreadable Zarr metadata: ${String(err)}`, undefined, err);
  });
  if (!node) throw new CorruptFileError(file, 'no Zarr metadata found at the root');
  return {
    file,
    root,
    format,
    remote,
    store,
    loc,
    fillValue: options.fillValue,
    strict: options.strict,
    omeXmlFile: located.omeXmlFile,
    consolidated,
    node,
    identity,
    details,
  };
}
