/**
 * A local store's identity, taken at open and checked after each read: writers replace a store by renaming a
 * new folder into its place, so a read overlapping the swap is noticed instead of mixing two images.
 */
import { stat, statNow } from '#platform';

/** A folder's device and inode (a folder renamed into its place has others), or undefined when it is gone. */
export async function folderIdentity(path: string): Promise<string | undefined> {
  try {
    // Synchronous where the platform can (a loop of 64³ reads of a 1024³ volume checks 32,768 times).
    const s = statNow(path) ?? (await stat(path));
    return `${s.dev}:${s.ino}`;
  } catch {
    return undefined;
  }
}
