/**
 * Hidden temporary siblings of a writer's target, and the sweep of the ones dead writers left behind.
 *
 * Every backend writes a new file or store under a temporary name beside its target and renames it into
 * place when complete, so the target never holds a partial image. A writer killed mid-way (SIGKILL, power
 * loss) leaves that temporary behind. Its name says who made it — `.<target>.bfio-<kind>-<host>-<pid>-<hex>` —
 * so the next writer of the same target can remove it safely: only temporaries of this host whose process
 * is gone are swept (a writer on another host sharing the folder, or a live one here, is never touched).
 */
import { basename, dirname, hostname, join, opendir, pid, processAlive, randomHex, rm } from '#platform';

/** 'tmp': being written; 'old': a replaced target kept until its successor is in place. */
export type TempKind = 'tmp' | 'old';

/** This host in temporary names: letters, digits, dots and underscores only (a '-' separates fields). */
function hostTag(): string {
  return hostname().replace(/[^A-Za-z0-9_.]/g, '_') || 'host';
}

/** A fresh hidden sibling path for `target` (nothing is created). */
export function tempSibling(target: string, kind: TempKind = 'tmp'): string {
  return join(dirname(target), `.${basename(target)}.bfio-${kind}-${hostTag()}-${pid()}-${randomHex(4)}`);
}

const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Removes temporaries of `target` left by writers of this host that no longer run; returns the paths
 * removed. Best effort: a folder that cannot be listed, or an entry that cannot be removed, is skipped.
 */
export async function sweepStaleTemps(target: string): Promise<string[]> {
  const pattern = new RegExp(
    `^\\.${literal(basename(target))}\\.bfio-(?:tmp|old)-${literal(hostTag())}-(\\d+)-[0-9a-f]+$`,
  );
  const removed: string[] = [];
  let dir: Awaited<ReturnType<typeof opendir>>;
  try {
    dir = await opendir(dirname(target));
  } catch {
    return removed;
  }
  const stale: string[] = [];
  for await (const entry of dir) {
    const match = pattern.exec(entry.name);
    if (!match) continue;
    const owner = Number(match[1]);
    if (owner !== pid() && !processAlive(owner)) stale.push(join(dirname(target), entry.name));
  }
  for (const path of stale) {
    try {
      await rm(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // Someone else's permissions, or gone already: leave it.
    }
  }
  return removed;
}
