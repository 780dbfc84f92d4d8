/**
 * What `bfio serve` serves: the images of one file or of one folder's top level, each under a name
 * `<stem>.ome.zarr`. Request paths are only ever looked up in this table, never joined to the file system,
 * and every entry's real path (symlinks resolved, at scan and again at open) must lie inside the folder, or
 * inside the one other folder the operator allowed symlinks into (`--symlinks-into`).
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { FileNotFoundError, registeredBackends } from '@bfio/core';

export interface CatalogEntry {
  /** The served name, e.g. `image.ome.zarr`. */
  name: string;
  /** Absolute path as listed (inside the folder). */
  path: string;
  /** The file or folder name shown in the index. */
  source: string;
}

/** Image suffixes dropped to make a name's stem (longest first), before `.ome.zarr` is added. */
const STEM_SUFFIXES = [
  '.ome.tiff',
  '.ome.tif',
  '.ome.btf',
  '.ome.zarr',
  '.ome.xml',
  '.zarr',
  '.tiff',
  '.tif',
];

function stem(file: string): string {
  const lower = file.toLowerCase();
  const known = STEM_SUFFIXES.find((s) => lower.endsWith(s) && lower.length > s.length);
  if (known) return file.slice(0, -known.length);
  const dot = file.lastIndexOf('.');
  return dot > 0 ? file.slice(0, dot) : file;
}

/** Whether `real` is `root` or inside it. */
export function inside(root: string, real: string): boolean {
  return real === root || real.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** Extensions some registered backend reads (Bio-Formats' 150+ when it is loaded). */
function readableExtensions(): string[] {
  return [...new Set(registeredBackends().flatMap((b) => b.extensions))];
}

async function isZarrFolder(path: string): Promise<boolean> {
  if (path.toLowerCase().endsWith('.zarr')) return true;
  for (const doc of ['zarr.json', '.zgroup', '.zarray']) {
    if (
      await stat(join(path, doc)).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      return true;
  }
  return false;
}

export class Catalog {
  private entries = new Map<string, CatalogEntry>();
  private scannedAt = 0;
  private readonly warned = new Set<string>();

  private constructor(
    /** Real path of the served folder (the file's folder when one file is served). */
    readonly root: string,
    private readonly file: string | undefined,
    /** Real path of a folder symlinks may also lead into, if the operator allowed one. */
    private readonly allowed: string | undefined,
    private readonly warn: (line: string) => void,
  ) {}

  /**
   * A catalog of `target`: a file (served alone) or a folder (its top-level images). `symlinksInto` is a
   * folder the folder's symlinks may lead into besides the folder itself.
   */
  static async open(target: string, warn: (line: string) => void, symlinksInto?: string): Promise<Catalog> {
    const real = await realpath(target).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? new FileNotFoundError(target) : err;
    });
    const info = await stat(real);
    const folder = info.isDirectory() && !(await isZarrFolder(real));
    const allowed = symlinksInto === undefined ? undefined : await realpath(symlinksInto);
    const catalog = new Catalog(folder ? real : dirname(real), folder ? undefined : real, allowed, warn);
    await catalog.scan();
    return catalog;
  }

  /** Whether a real path may be served. */
  private permitted(real: string): boolean {
    return inside(this.root, real) || (this.allowed !== undefined && inside(this.allowed, real));
  }

  list(): CatalogEntry[] {
    return [...this.entries.values()];
  }

  /** The entry served as `name`; an unknown name rescans the folder (at most every 2 s) for new files. */
  async lookup(name: string): Promise<CatalogEntry | undefined> {
    const hit = this.entries.get(name);
    if (hit || this.file || Date.now() - this.scannedAt < 2000) return hit;
    await this.scan();
    return this.entries.get(name);
  }

  /** The entry's real path, checked again now (a symlink may have changed since the scan). */
  async realPath(entry: CatalogEntry): Promise<string | undefined> {
    const real = await realpath(entry.path).catch(() => undefined);
    return real && this.permitted(real) ? real : undefined;
  }

  async scan(): Promise<void> {
    this.scannedAt = Date.now();
    const next = new Map<string, CatalogEntry>();
    const found: string[] = [];
    if (this.file) {
      found.push(this.file);
    } else {
      const extensions = readableExtensions();
      const dirents = await readdir(this.root, { withFileTypes: true });
      for (const d of dirents.sort((a, b) => a.name.localeCompare(b.name))) {
        if (d.name.startsWith('.')) continue;
        const path = join(this.root, d.name);
        const real = await realpath(path).catch(() => undefined);
        if (!real) continue;
        if (!this.permitted(real)) {
          if (!this.warned.has(d.name))
            this.warn(
              `not serving ${d.name}: it resolves outside ${this.root} (--symlinks-into DIR allows a folder)`,
            );
          this.warned.add(d.name);
          continue;
        }
        const info = await stat(real).catch(() => undefined);
        if (!info) continue;
        const lower = d.name.toLowerCase();
        const image = info.isDirectory()
          ? await isZarrFolder(real)
          : info.isFile() && extensions.some((e) => lower.endsWith(e));
        if (image) found.push(path);
      }
    }
    // Stems first; where two files share a stem (a.czi, a.lif) both keep their whole file name.
    const stems = new Map<string, number>();
    for (const path of found) stems.set(stem(basename(path)), (stems.get(stem(basename(path))) ?? 0) + 1);
    for (const path of found) {
      const file = basename(path);
      const s = stem(file);
      const name = `${stems.get(s)! > 1 ? file : s}.ome.zarr`;
      next.set(name, { name, path, source: file });
    }
    this.entries = next;
  }
}
