/**
 * Whether an object a part wrote earlier is whole and right (`--resume` skips a block only when all its
 * objects pass; a chunk is checked, not assumed): a chunk must decode to exactly one chunk of pixels; a
 * shard must end in an index whose CRC32C matches, with every entry inside the file and every chunk
 * that lies inside the array present.
 */
import { implementation, runHereSync } from '@bfio/codecs';
import { crc32c } from '../shard.js';
import type { Vec5 } from '../store-layout.js';
import { bytesPerPixel, type PartPlan } from './plan.js';

const EMPTY = 0xffffffffffffffffn;
const prod = (v: readonly number[]) => v.reduce((a, b) => a * b, 1);

function chunkIsWhole(plan: PartPlan, k: number, bytes: Uint8Array): boolean {
  const want = prod(plan.chunks[k] as Vec5) * bytesPerPixel(plan.dtype);
  if (plan.compression === 'none') return bytes.byteLength === want;
  if (implementation('zstd-decode') !== 'native') return false;
  try {
    return runHereSync('zstd-decode', bytes).byteLength === want;
  } catch {
    return false;
  }
}

/** Checks the object of level k at grid position `index` (its bytes as read back). */
export function objectIsWhole(
  plan: PartPlan,
  k: number,
  index: readonly number[],
  bytes: Uint8Array,
): boolean {
  const shard = plan.shards?.[k];
  if (!shard) return chunkIsWhole(plan, k, bytes);
  const chunks = plan.chunks[k] as Vec5;
  const shape = plan.shapes[k] as Vec5;
  const per = shard.map((s, i) => s / (chunks[i] as number));
  const n = prod(per);
  const indexBytes = n * 16 + 4;
  if (bytes.byteLength < indexBytes) return false;
  const at = bytes.byteLength - indexBytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, indexBytes);
  if (view.getUint32(n * 16, true) !== crc32c(bytes.subarray(at, at + n * 16))) return false;
  for (let slot = 0; slot < n; slot++) {
    // The chunk's position in the array: is it inside (then it must be present)?
    let rest = slot;
    let inside = true;
    for (let i = 4; i >= 0; i--) {
      const within = rest % (per[i] as number);
      rest = Math.floor(rest / (per[i] as number));
      const origin = (index[i] as number) * (shard[i] as number) + within * (chunks[i] as number);
      if (origin >= (shape[i] as number)) inside = false;
    }
    const offset = view.getBigUint64(slot * 16, true);
    const length = view.getBigUint64(slot * 16 + 8, true);
    if (offset === EMPTY) {
      if (inside) return false;
      continue;
    }
    if (offset + length > BigInt(at)) return false;
  }
  return true;
}
