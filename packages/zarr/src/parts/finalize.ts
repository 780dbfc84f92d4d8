/**
 * `bfio finalize OUT`: turns the objects written by the parts into an OME-Zarr image. It checks that every
 * object of every part is present (naming the parts to re-run otherwise), builds the pyramid levels no part
 * could own (from the last complete level, read back from the store), and only then writes the metadata:
 * arrays, OME-XML, and the group last. Before that the store has no metadata and reads as no image.
 */
import { BfioError, type TypedArray } from '@bfio/core';
import { fetchBytes, isRemote } from '@bfio/core/backend';
import * as zarr from 'zarrita';
import { registerCodecs } from '../codecs.js';
import { joinLocation } from '../location.js';
import { NodeStore } from '../store.js';
import type { Vec5 } from '../store-layout.js';
import { blockObjects, levelObjects, levelPlan, objectKey, type PartPlan, partBlocks } from './plan.js';
import { type PartSource, type RunPartOptions, readPlan, runPart } from './run-part.js';
import { listStore, removeBookkeeping, writeStoreFile } from './store-io.js';

export interface FinalizeResult {
  levels: number;
  /** Levels built by finalize itself (the parts could not own them). */
  built: number[];
  objects: number;
}

/** Objects of the parts' levels that are missing, grouped by the part that writes them. */
function missingByPart(plan: PartPlan, present: Map<string, number>): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (let i = 0; i < plan.parts; i++) {
    for (const block of partBlocks(plan, i)) {
      for (let k = plan.firstWritten; k < plan.owned; k++) {
        for (const index of blockObjects(plan, block, k)) {
          const key = objectKey(plan, k, index);
          if (present.has(key)) continue;
          const list = out.get(i) ?? [];
          out.set(i, list);
          list.push(key);
        }
      }
    }
  }
  return out;
}

function describeMissing(
  target: string,
  plan: PartPlan,
  missing: Map<number, string[]>,
  hint: string,
): BfioError {
  const lines = [...missing].map(
    ([i, keys]) =>
      `part ${i}/${plan.parts}: ${keys.length} object${keys.length > 1 ? 's' : ''} missing (${keys.slice(0, 3).join(', ')}${keys.length > 3 ? ', …' : ''})`,
  );
  return new BfioError('not-found', `${target} is not complete: ${lines.join('; ')}; ${hint}`, {
    file: target,
  });
}

/**
 * Pixels of store level `level` (its objects are in the store, its array metadata only in the plan yet),
 * read with zarrita through a store that serves the plan's documents from memory.
 */
export function storeLevelSource(target: string, plan: PartPlan, level: number): PartSource {
  registerCodecs();
  const docs = new Map(plan.documents.map(([rel, text]) => [rel, new TextEncoder().encode(text)]));
  const local = isRemote(target) ? undefined : new NodeStore(target);
  const store: zarr.AsyncReadable = {
    async get(key) {
      const rel = key.slice(1);
      return docs.get(rel) ?? (local ? local.get(key) : fetchBytes(joinLocation(target, rel)));
    },
    async getRange(key, range) {
      if (local) return local.getRange(key, range);
      const url = joinLocation(target, key.slice(1));
      return fetchBytes(url, 'suffixLength' in range ? { suffix: range.suffixLength } : range);
    },
  };
  let array: Promise<zarr.Array<zarr.DataType, zarr.AsyncReadable>> | undefined;
  return async (origin: Vec5, extent: Vec5): Promise<TypedArray> => {
    array ??= (
      plan.format === 3
        ? zarr.open.v3(zarr.root(store).resolve(String(level)), { kind: 'array' })
        : zarr.open.v2(zarr.root(store).resolve(String(level)), { kind: 'array', attrs: false })
    ) as Promise<zarr.Array<zarr.DataType, zarr.AsyncReadable>>;
    const sel = origin.map((o, i) => zarr.slice(o, o + (extent[i] as number)));
    const chunk = (await zarr.get(await array, sel)) as unknown as { data: TypedArray };
    return chunk.data;
  };
}

/**
 * Builds the levels of `plan` (a level plan) split over its parts: part `part` only, or all of them in turn.
 */
export async function buildLevels(
  target: string,
  plan: PartPlan,
  part: number | 'all',
  options: RunPartOptions = {},
): Promise<void> {
  const source = storeLevelSource(target, plan, plan.sourceLevel);
  const parts = part === 'all' ? Array.from({ length: plan.parts }, (_, i) => i) : [part];
  for (const i of parts) await runPart(target, plan, i, source, undefined, options);
}

export async function finalizeStore(target: string, options: RunPartOptions = {}): Promise<FinalizeResult> {
  const plan = await readPlan(target);
  let present = await listStore(target);
  const missing = missingByPart(plan, present);
  if (missing.size) {
    throw describeMissing(
      target,
      plan,
      missing,
      `re-run those parts ('bfio convert IN OUT … --part i/${plan.parts}', same options), then finalize again`,
    );
  }
  // Levels no part owned: from the first one with a missing object on, built from the level before it.
  const built: number[] = [];
  for (let k = plan.owned; k < plan.levels; k++) {
    if (levelObjects(plan, k).every((key) => present.has(key))) continue;
    const sub = levelPlan(plan, k - 1, 1);
    await buildLevels(target, sub, 'all', options);
    for (let j = k; j < k + sub.owned - 1; j++) built.push(j);
    present = await listStore(target);
    k += sub.owned - 2;
  }
  let objects = 0;
  for (let k = 0; k < plan.levels; k++) {
    const keys = levelObjects(plan, k);
    const gone = keys.filter((key) => !present.has(key));
    if (gone.length) {
      throw new BfioError(
        'not-found',
        `${target}: level ${k} lacks ${gone.length} object(s) (${gone.slice(0, 3).join(', ')}); re-run its tasks, then finalize again`,
        { file: target },
      );
    }
    objects += keys.length;
  }
  // Metadata last, group the very last: the store becomes an image only when all of it is there.
  for (const [rel, text] of plan.documents) await writeStoreFile(target, rel, text);
  await removeBookkeeping(target);
  return { levels: plan.levels, built, objects };
}
