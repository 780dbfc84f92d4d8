/**
 * A local store's identity, taken at open and checked after each read: writers replace a store by renaming a
 * new folder into its place, so a read overlapping the swap is noticed instead of mixing two images.
 */
import { stat } from '#platform';

/** A folder's device and inode (a folder renamed into its place has others), or undefined when it is gone. */
export async function folderIdentity(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path);
    return `${s.dev}:${s.ino}`;
  } catch {
    return undefined;
  }
}
