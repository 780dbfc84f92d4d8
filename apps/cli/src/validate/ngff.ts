/**
 * Validates an OME-Zarr store (NGFF 0.4 on Zarr v2, 0.5 on Zarr v3): each group's metadata against the NGFF
 * JSON schema of its version and kind, then the image rules of ngff-rules.ts, following bioformats2raw series,
 * plate wells, well fields and labels.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UnknownFormatError } from '@bfio/core';
import { IMAGE_RULES, type ImageCtx, type Level } from './ngff-rules.js';
import type { NgffKind, NgffSchemas } from './ngff-schema.js';
import type { Report } from './report.js';
import { type GroupMeta, readArray, readGroup } from './zarr-meta.js';

const KNOWN = ['0.4', '0.5'];
/** Plates of 1536 wells × fields × labels stay bounded. */
const MAX_GROUPS = 10_000;

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** The NGFF attributes of a group (0.5: under "ome"), its kind and its declared version. */
function ngffOf(g: GroupMeta): { ome: Record<string, unknown>; kind?: NgffKind; version?: string } {
  const ome = g.zarrFormat === 3 ? (obj(g.attrs.ome) ?? g.attrs) : g.attrs;
  const kind: NgffKind | undefined = ome.multiscales
    ? ome['image-label']
      ? 'label'
      : 'image'
    : ome.plate
      ? 'plate'
      : ome.well
        ? 'well'
        : ome['bioformats2raw.layout'] !== undefined
          ? 'bf2raw'
          : undefined;
  let version: unknown = ome.version;
  if (version === undefined && kind === 'image') version = obj((ome.multiscales as unknown[])?.[0])?.version;
  if (version === undefined && kind === 'label') version = obj((ome.multiscales as unknown[])?.[0])?.version;
  if (version === undefined && (kind === 'plate' || kind === 'well')) version = obj(ome[kind])?.version;
  return { ome, kind, version: typeof version === 'string' ? version : undefined };
}

/** A version after 0.5 (e.g. 0.6.dev1), whose layout the rules here do not know. */
function newer(version: string): boolean {
  const m = /^0\.(\d+)/.exec(version);
  return !m || Number(m[1]) > 5;
}

const TYPE_OF_NAME: Record<string, string> = { t: 'time', c: 'channel', z: 'space', y: 'space', x: 'space' };

/** Axes as objects: NGFF 0.3 lists names (types follow from them), 0.1/0.2 imply t, c, z, y, x. */
function axesOf(axes: unknown): ImageCtx['axes'] {
  if (axes === undefined)
    return ['t', 'c', 'z', 'y', 'x'].map((name) => ({ name, type: TYPE_OF_NAME[name] }));
  return (Array.isArray(axes) ? axes : []).map((a) =>
    typeof a === 'string' ? { name: a, type: TYPE_OF_NAME[a] } : (obj(a) ?? {}),
  );
}

class Walk {
  private groups = 0;
  constructor(
    private readonly root: string,
    private readonly report: Report,
    private readonly schemas: NgffSchemas | undefined,
    /** The version of the store's first NGFF group, for groups that do not say (bf2raw series). */
    private inherited?: string,
  ) {}

  /** Checks the group at `rel` and what it leads to; false when there is no group there. */
  group(rel: string): boolean {
    if (++this.groups > MAX_GROUPS) return true;
    const where = rel || '/';
    const g = readGroup(join(this.root, rel));
    if (!g) return false;
    const { ome, kind, version: declared } = ngffOf(g);
    if (!kind) {
      if (!rel) {
        this.report.check('ngff.group-kind', where, [
          {
            where,
            message: 'the group has no NGFF metadata (multiscales, plate, well or bioformats2raw.layout)',
            fix: 'write the OME-Zarr metadata (bfio convert writes a complete store)',
          },
        ]);
      }
      return true;
    }
    const version = declared ?? (kind === 'bf2raw' ? undefined : this.inherited);
    // Wells and fields of a plate (and series of bioformats2raw) may leave the version to their parent.
    this.checkVersion(where, kind, version, g);
    this.inherited ??= version;
    if (version && newer(version)) {
      // 0.6 moved axes into coordinate systems: the 0.4/0.5 rules would misjudge it.
      this.report.skip('ngff.schema', where, `NGFF ${version} is newer than the versions checked (0.1–0.5)`);
      return true;
    }
    if (version) this.checkSchema(where, kind, version, g.attrs);
    if (kind === 'image' || kind === 'label') this.image(rel, where, ome);
    else if (kind === 'bf2raw') this.bf2raw(rel);
    else if (kind === 'plate') this.children(rel, obj(ome.plate)?.wells, 'wells');
    else if (kind === 'well') this.children(rel, obj(ome.well)?.images, 'images');
    return true;
  }

  /** ngff.path-exists: every group the metadata lists (wells, fields, labels, series) is there. */
  private visit(rel: string, paths: string[], what: string): void {
    const missing = paths.filter((p) => !this.group(join(rel, p)));
    if (!paths.length) return;
    this.report.check(
      'ngff.path-exists',
      `${rel || '/'} (${paths.length} ${what})`,
      missing.map((p) => ({
        where: join(rel, p),
        message: `listed in ${what} but there is no Zarr group there`,
        fix: 'write the group or remove it from the metadata',
      })),
    );
  }

  /** ngff.version (a known version is declared) and ngff.zarr-format (0.4 on Zarr v2, 0.5 on Zarr v3). */
  private checkVersion(where: string, kind: NgffKind, version: string | undefined, g: GroupMeta): void {
    if (kind === 'bf2raw' && g.zarrFormat === 2) return; // 0.4 puts no version on the bioformats2raw group
    if (version === undefined) {
      this.report.check('ngff.version', where, [
        {
          where,
          message:
            g.zarrFormat === 3
              ? 'attributes.ome.version is missing'
              : `${kind === 'image' || kind === 'label' ? 'multiscales[0]' : kind}.version is missing`,
          fix: `declare the NGFF version (e.g. "version": "${g.zarrFormat === 3 ? '0.5' : '0.4'}")`,
        },
      ]);
      return;
    }
    this.report.check('ngff.version', where, []);
    if (!KNOWN.includes(version)) return;
    const want = version === '0.4' ? 2 : 3;
    this.report.check(
      'ngff.zarr-format',
      where,
      g.zarrFormat === want
        ? []
        : [
            {
              where,
              message: `NGFF ${version} is stored in Zarr v${want}, but this group is Zarr v${g.zarrFormat}`,
              fix: `rewrite the store as NGFF ${g.zarrFormat === 3 ? '0.5' : '0.4'} (bfio convert --ngff-version)`,
            },
          ],
    );
  }

  /** ngff.schema: the group's attributes against `<version>/<kind>.schema`. */
  private checkSchema(where: string, kind: NgffKind, version: string, attrs: Record<string, unknown>): void {
    const target = `${where} (NGFF ${version} ${kind})`;
    if (!this.schemas) {
      this.report.skip('ngff.schema', target, 'no NGFF schemas: pass --schema-dir DIR holding ngff-spec/');
      return;
    }
    const kinds: NgffKind[] = kind === 'label' ? ['image', 'label'] : [kind];
    const errors: string[] = [];
    for (const k of kinds) {
      const e = this.schemas.validate(version, k, attrs);
      if (e === undefined) {
        this.report.skip('ngff.schema', target, `no ${version}/${k}.schema under --schema-dir`);
        return;
      }
      errors.push(...e);
    }
    this.report.check(
      'ngff.schema',
      target,
      errors.map((message) => ({
        where,
        message: `schema ${version}/${kind}: ${message}`,
        fix: `correct the attributes to the NGFF ${version} ${kind} schema`,
      })),
    );
  }

  private image(rel: string, where: string, ome: Record<string, unknown>): void {
    const list = Array.isArray(ome.multiscales) ? ome.multiscales : [];
    list.forEach((m, i) => {
      const multiscale = obj(m);
      if (!multiscale) return;
      const datasets = Array.isArray(multiscale.datasets) ? multiscale.datasets.map(obj) : [];
      const levels: Level[] = datasets.flatMap((d) => {
        if (!d || typeof d.path !== 'string') return [];
        const transforms = Array.isArray(d.coordinateTransformations) ? d.coordinateTransformations : [];
        const scale = transforms.map(obj).find((t) => t?.type === 'scale')?.scale;
        return [
          {
            path: d.path,
            array: readArray(join(this.root, rel, d.path)),
            scale: Array.isArray(scale) && scale.every((v) => typeof v === 'number') ? scale : undefined,
            transforms,
          },
        ];
      });
      const axes = axesOf(multiscale.axes);
      const ctx: ImageCtx = { where, multiscale, axes, levels, omero: obj(ome.omero) };
      const target = `${where}${list.length > 1 ? ` multiscales[${i}]` : ''} (${levels.length} level(s))`;
      for (const [id, rule] of IMAGE_RULES) this.report.check(id, target, rule(ctx));
    });
    const labels = join(rel, 'labels');
    const lg = existsSync(join(this.root, labels)) ? readGroup(join(this.root, labels)) : undefined;
    if (lg) {
      const names = ngffOf(lg).ome.labels;
      if (Array.isArray(names)) {
        this.visit(
          labels,
          names.filter((n): n is string => typeof n === 'string'),
          'labels',
        );
      }
    }
  }

  /** bioformats2raw.layout: the series are the numbered child groups. */
  private bf2raw(rel: string): void {
    const dir = join(this.root, rel);
    const series = readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && /^\d+$/.test(d.name))
      .map((d) => Number(d.name))
      .sort((a, b) => a - b);
    this.visit(rel, series.map(String), 'series');
  }

  private children(rel: string, list: unknown, what: string): void {
    if (!Array.isArray(list)) return;
    const paths = list.map((e) => obj(e)?.path).filter((p): p is string => typeof p === 'string');
    this.visit(rel, paths, what);
  }
}

/** Whether `dir` is a Zarr group (v2 or v3). */
export function isZarrGroup(dir: string): boolean {
  return (
    existsSync(join(dir, 'zarr.json')) || existsSync(join(dir, '.zgroup')) || existsSync(join(dir, '.zattrs'))
  );
}

export function checkNgff(root: string, report: Report, schemas: NgffSchemas | undefined): void {
  if (!readGroup(root)) {
    throw new UnknownFormatError(
      root,
      [],
      'It is a Zarr array or no Zarr at all; bfio validate needs a group.',
    );
  }
  new Walk(root, report, schemas).group('');
}
