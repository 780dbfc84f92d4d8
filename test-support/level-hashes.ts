/** sha256 of every level of every series a reader presents (structural type: test-support does not import the packages). */
import { createHash } from 'node:crypto';

/** The part of @bfio/core's BioReader that `levelHashes` uses. */
interface LevelReader {
  seriesCount: number;
  series: number;
  levelCount: number;
  level: number;
  read(args: object, options: { squeeze: boolean; shared: boolean }): Promise<{ data: ArrayBufferView }>;
}

/** Per series, per level: sha256 of the whole level's samples in (t, c, z, y, x) C order, as read. */
export async function levelHashes(reader: LevelReader): Promise<string[][]> {
  const out: string[][] = [];
  for (let s = 0; s < reader.seriesCount; s++) {
    reader.series = s;
    const levels: string[] = [];
    for (let l = 0; l < reader.levelCount; l++) {
      reader.level = l;
      const { data } = await reader.read({}, { squeeze: false, shared: false });
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      levels.push(createHash('sha256').update(bytes).digest('hex'));
    }
    out.push(levels);
  }
  reader.series = 0;
  return out;
}
