/**
 * A separate writer process for the concurrent-writer test: appends rows [y0, y1) to an existing store in
 * unaligned bands of 23 rows. Usage: node --import tsx append-worker.ts <store> <y0> <y1>
 */
import { ZarrWriter } from '../../src/writer/index.js';
import { band, metadata, OPTIONS } from './image.js';

const [store, a, b] = process.argv.slice(2);
const y0 = Number(a);
const y1 = Number(b);
const writer = await ZarrWriter.create(store as string, metadata(), 'uint16', { ...OPTIONS, append: true });
for (let y = y0; y < y1; y += 23) {
  const { region, data } = band(y, Math.min(y1, y + 23));
  await writer.writeRegion(region, data);
}
await writer.close();
process.exit(0);
