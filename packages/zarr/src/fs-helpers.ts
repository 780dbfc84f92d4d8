/** Small file-system helpers shared by the writers. */
import { join, mkdir, stat, writeFile } from '#platform';

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes each named JSON document into `dir` (created when missing). */
export async function writeDocs(dir: string, docs: Record<string, unknown>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, doc] of Object.entries(docs))
    await writeFile(join(dir, name), JSON.stringify(doc, null, 2));
}
