/**
 * Several images in one OME-Zarr store, in the bioformats2raw layout (what `bioformats2raw` writes and the
 * NGFF `bf2raw` and `ome` schemas describe): image groups `0/`, `1/`, … each a complete NGFF image (written by
 * a ZarrWriter), an `OME` group whose `series` lists them, `OME/METADATA.ome.xml` with every image, and the
 * root marked `bioformats2raw.layout: 3`. The container is built in a hidden temporary sibling and renamed
 * into place by `close()` (root metadata last), so a crash never leaves a store that looks complete.
 * When the metadata describes a plate (OME-XML Plate with every image a field), the images go to
 * `row/col/field` under an NGFF plate instead (plate-layout.ts), as bioformats2raw writes plates.
 */
import {
  ClosedError,
  type DType,
  FileExistsError,
  InvalidDataError,
  type PlateLayout,
  plateLayout,
} from '@bfio/core';
import { sweepStaleTemps, tempSibling } from '@bfio/core/backend';
import { buildOmeXml, type OME, parseOmeXml, platesOf } from '@bfio/ome-xml';
import { dirname, join, mkdir, readFile, rename, rm, writeFile } from '#platform';
import { exists, writeDocs } from './fs-helpers.js';
import { bioformats2rawDocuments } from './metadata-docs.js';
import { fieldPaths, plateDocuments, remapPlate, withoutPlates } from './plate-layout.js';
import { type ZarrCreateOptions, ZarrWriter } from './writer/index.js';

export interface ZarrContainerOptions {
  /** '0.5' (Zarr v3, default) or '0.4' (Zarr v2), for the container and every image in it. */
  ngffVersion?: '0.4' | '0.5';
  overwrite?: boolean;
  /**
   * When the metadata has a Plate whose fields are all its images: write the NGFF plate layout (fields at
   * `row/col/field`, as bioformats2raw does; default), or false for groups `0/`, `1/`, … (bioformats2raw's
   * `--no-hcs`).
   */
  hcs?: boolean;
  /**
   * The images that will be written, when not all: a plate's fields are then numbered among them (`0`, `1`, …
   * in each well), as readers such as ome-zarr-py expect every well to have the first well's field paths.
   */
  images?: readonly number[];
}

export class ZarrContainerWriter {
  private readonly written = new Map<number, { writer?: ZarrWriter }>();
  private closed = false;
  /** Plate layout: the fields' groups by image index (undefined: groups named by index). */
  private readonly fields: Map<number, string> | undefined;

  private constructor(
    readonly path: string,
    private readonly dir: string,
    private readonly metadata: OME,
    private readonly options: ZarrContainerOptions,
    /** The plate written, when the layout is a plate. */
    readonly plate: PlateLayout | undefined,
  ) {
    this.fields = plate && fieldPaths(plate);
  }

  /** The group of image `index`, relative to the container: `row/col/field` in a plate, else `index`. */
  groupOf(index: number): string {
    return this.fields?.get(index) ?? String(index);
  }

  /**
   * Starts a container for the images of `metadata`: each is written with `image(i, …)`, or by any writer
   * (e.g. a BioWriter) at `imagePath(i)`.
   */
  static async create(
    path: string,
    metadata: OME,
    options: ZarrContainerOptions = {},
  ): Promise<ZarrContainerWriter> {
    if (metadata.images.length === 0) throw new InvalidDataError(`metadata for ${path} has no Image`, path);
    if ((await exists(path)) && !options.overwrite) throw new FileExistsError(path);
    await mkdir(dirname(path), { recursive: true });
    await sweepStaleTemps(path);
    const dir = tempSibling(path);
    await mkdir(dir, { recursive: true });
    const chosen = options.images ? new Set(options.images) : undefined;
    let plate =
      options.hcs === false
        ? undefined
        : plateLayout(metadata, (i) => (!chosen || chosen.has(i) ? i : undefined));
    // A plate layout only when every image written is a field: others would have no place in it.
    if (plate && fieldPaths(plate).size !== (chosen?.size ?? metadata.images.length)) plate = undefined;
    return new ZarrContainerWriter(path, dir, metadata, options, plate);
  }

  /**
   * Where image `index` goes (group `<index>/`, or `row/col/field` in a plate): for a writer of your own, e.g. `BioWriter.create(path,
   * { backend: 'zarr', ngffVersion })` with the container's NGFF version. Close it before the container.
   */
  imagePath(index: number): string {
    if (this.closed) throw new ClosedError('BioWriter', this.path);
    if (!this.metadata.images[index] || !Number.isInteger(index))
      throw new InvalidDataError(`${this.path} has no image ${index} in its metadata`, this.path);
    if (this.written.has(index))
      throw new InvalidDataError(`image ${index} of ${this.path} is already being written`, this.path);
    this.written.set(index, {});
    return join(this.dir, this.groupOf(index));
  }

  /** A writer for image `index` of the metadata, as group `<index>/` (close it before the container). */
  async image(index: number, dtype: DType, options: ZarrCreateOptions = {}): Promise<ZarrWriter> {
    const path = this.imagePath(index);
    const writer = await ZarrWriter.create(
      path,
      { ...this.metadata, images: [this.metadata.images[index]!] },
      dtype,
      { ...options, ngffVersion: this.options.ngffVersion ?? '0.5', overwrite: false, append: false },
    );
    this.written.set(index, { writer });
    return writer;
  }

  /**
   * Writes the container's metadata and moves it into place. The OME-XML lists the images written, in index
   * order, and `series` names their groups in the same order.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      const indexes = [...this.written.keys()].sort((a, b) => a - b);
      if (indexes.length === 0) throw new InvalidDataError(`no image was written to ${this.path}`, this.path);
      const format = (this.options.ngffVersion ?? '0.5') === '0.5' ? 3 : 2;
      // Each image as its writer stored it (its own OME-XML: sizes, type and channels as written).
      const images = await Promise.all(
        indexes.map(async (i) => {
          const own = join(this.dir, this.groupOf(i), 'OME', 'METADATA.ome.xml');
          const xml = await readFile(own, 'utf8').catch(() => undefined);
          const doc = xml ? parseOmeXml(xml, { file: this.path }) : undefined;
          const image = doc?.images[0];
          // A writer given the whole plate's metadata copied its Plate, whose other fields this image's own
          // document lacks (invalid OME-XML): one image is no plate, so it goes; the container's has it.
          if (doc && platesOf(doc).length) await writeFile(own, buildOmeXml(withoutPlates(doc)));
          if (!image)
            throw new InvalidDataError(
              `image ${i} of ${this.path} was not written (or not closed)`,
              this.path,
            );
          // IDs renumbered for this document: every image's own XML calls itself Image:0.
          return {
            ...image,
            id: `Image:${i}`,
            pixels: {
              ...image.pixels,
              id: `Pixels:${i}`,
              channels: image.pixels.channels.map((ch, c) => ({ ...ch, id: `Channel:${i}:${c}` })),
            },
          };
        }),
      );
      const series = indexes.map((i) => this.groupOf(i));
      const written = new Set(indexes);
      const metadata = remapPlate(this.metadata, written, (i) => `Image:${i}`);
      await mkdir(join(this.dir, 'OME'), { recursive: true });
      await writeFile(join(this.dir, 'OME', 'METADATA.ome.xml'), buildOmeXml({ ...metadata, images }));
      const docs = bioformats2rawDocuments(format, series);
      await writeDocs(join(this.dir, 'OME'), docs.ome);
      const plateDocs = this.plate ? plateDocuments(format, this.plate, written) : undefined;
      for (const [rel, doc] of plateDocs ?? []) if (rel) await writeDocs(join(this.dir, rel), doc);
      // The root last: until it exists the directory is not a container.
      await writeDocs(this.dir, plateDocs?.get('') ?? docs.root);
      let old: string | undefined;
      if (await exists(this.path)) {
        if (!this.options.overwrite) throw new FileExistsError(this.path);
        old = tempSibling(this.path, 'old');
        await rename(this.path, old);
      }
      await rename(this.dir, this.path);
      if (old) await rm(old, { recursive: true, force: true });
    } catch (err) {
      await rm(this.dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Throws the container away (images being written are aborted). */
  async abort(): Promise<void> {
    this.closed = true;
    for (const { writer } of this.written.values()) await writer?.abort().catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}
