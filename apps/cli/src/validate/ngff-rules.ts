/**
 * Rules of an OME-NGFF multiscale image that its JSON schema cannot state: they relate the metadata to the
 * arrays (rank, shapes, dtypes, chunks) and the levels to each other. One function per rule id; each returns
 * where the rule is broken (empty: ok).
 */
import type { Problem } from './report.js';
import type { ArrayMeta } from './zarr-meta.js';

export interface Level {
  path: string;
  /** The array's metadata; undefined when the dataset's array is missing. */
  array?: ArrayMeta;
  /** The dataset's scale vector, when given as one. */
  scale?: number[];
  transforms: unknown[];
}

export interface ImageCtx {
  /** Where the image group is in the store ('/' for the root). */
  where: string;
  multiscale: Record<string, unknown>;
  axes: Array<{ name?: unknown; type?: unknown }>;
  levels: Level[];
  omero?: Record<string, unknown>;
}

type Rule = (img: ImageCtx) => Problem[];

function ints(v: unknown): number[] | undefined {
  return Array.isArray(v) && v.every((x) => Number.isInteger(x)) ? (v as number[]) : undefined;
}

function shapeOf(l: Level): number[] | undefined {
  return ints(l.array?.shape);
}

function at(img: ImageCtx, l: Level): string {
  return `${img.where === '/' ? '' : img.where}/${l.path}`;
}

/** ngff.dataset-exists: every dataset path is an array in the store. */
export const datasetExists: Rule = (img) =>
  img.levels
    .filter((l) => !l.array)
    .map((l) => ({
      where: at(img, l),
      message: `dataset '${l.path}' is listed in multiscales but there is no Zarr array there`,
      fix: 'write the missing level or remove it from multiscales.datasets',
    }));

/** ngff.axes-rank: there is one axis per dimension of every level's array. */
export const axesRank: Rule = (img) =>
  img.levels.flatMap((l) => {
    const shape = shapeOf(l);
    if (!shape || shape.length === img.axes.length) return [];
    return [
      {
        where: at(img, l),
        message: `multiscales.axes has ${img.axes.length} axes but the array has ${shape.length} dimensions (shape [${shape}])`,
        fix: 'list one axis per array dimension, in the array’s order',
      },
    ];
  });

/** ngff.axes-unique: axis names are distinct. */
export const axesUnique: Rule = (img) => {
  const names = img.axes.map((a) => a.name);
  const dup = names.filter((n, i) => names.indexOf(n) !== i);
  if (!dup.length) return [];
  return [
    {
      where: `${img.where} multiscales.axes`,
      message: `axis name(s) ${[...new Set(dup)].map((d) => `'${String(d)}'`).join(', ')} appear more than once`,
      fix: 'give every axis its own name (e.g. t, c, z, y, x)',
    },
  ];
};

/** ngff.axes-order: 2 or 3 space axes; time first, then channel, then space (RFC 0.4 §axes). */
export const axesOrder: Rule = (img) => {
  const rank = { time: 0, channel: 1, space: 2 } as Record<string, number>;
  const types = img.axes.map((a) => (typeof a.type === 'string' ? a.type : undefined));
  const spaces = types.filter((t) => t === 'space').length;
  const known = types.map((t) => (t === undefined ? undefined : rank[t])).filter((r) => r !== undefined);
  const ordered = known.every((r, i) => i === 0 || (known[i - 1] as number) <= (r as number));
  const out: Problem[] = [];
  if (spaces < 2 || spaces > 3) {
    out.push({
      where: `${img.where} multiscales.axes`,
      message: `${spaces} axes of type 'space'; there must be 2 or 3`,
      fix: "mark the y and x (and z) axes with type 'space'",
    });
  }
  if (!ordered) {
    out.push({
      where: `${img.where} multiscales.axes`,
      message: `axis types are in the order [${types}]; time must come first, then channel, then space`,
      fix: 'reorder the axes and the array dimensions to t, c, z, y, x',
    });
  }
  return out;
};

/** ngff.transform-rank: every scale and translation has one value per axis. */
export const transformRank: Rule = (img) => {
  const out: Problem[] = [];
  const check = (where: string, list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const t of list as Array<Record<string, unknown>>) {
      for (const key of ['scale', 'translation']) {
        const v = t?.[key];
        if (Array.isArray(v) && v.length !== img.axes.length) {
          out.push({
            where,
            message: `${key} has ${v.length} values for ${img.axes.length} axes`,
            fix: `give ${key} one value per axis`,
          });
        }
      }
    }
  };
  check(`${img.where} multiscales.coordinateTransformations`, img.multiscale.coordinateTransformations);
  for (const l of img.levels) check(at(img, l), l.transforms);
  return out;
};

/** ngff.levels-decreasing: each level is no larger than the one before it on every axis. */
export const levelsDecreasing: Rule = (img) => {
  const out: Problem[] = [];
  for (let k = 1; k < img.levels.length; k++) {
    const prev = shapeOf(img.levels[k - 1] as Level);
    const cur = shapeOf(img.levels[k] as Level);
    if (!prev || !cur || prev.length !== cur.length) continue;
    if (cur.some((n, i) => n > (prev[i] as number))) {
      out.push({
        where: at(img, img.levels[k] as Level),
        message: `shape [${cur}] is larger than the previous level's [${prev}]`,
        fix: 'list datasets from the highest resolution to the lowest',
      });
    }
  }
  return out;
};

/** ngff.levels-dtype: every level has the dtype of the first. */
export const levelsDtype: Rule = (img) => {
  const first = img.levels[0]?.array?.dtype;
  return img.levels
    .filter((l) => l.array && JSON.stringify(l.array.dtype) !== JSON.stringify(first))
    .map((l) => ({
      where: at(img, l),
      message: `dtype ${JSON.stringify(l.array?.dtype)} differs from level 0's ${JSON.stringify(first)}`,
      fix: 'write every level with the full-resolution dtype',
    }));
};

/**
 * ngff.scale-consistent: scales are positive and level k's scale ÷ level 0's is level 0's size ÷ level k's,
 * within the rounding of a downsampled size (±1 pixel).
 */
export const scaleConsistent: Rule = (img) => {
  const out: Problem[] = [];
  const base = img.levels[0];
  const s0 = base?.scale;
  const shape0 = base && shapeOf(base);
  for (const l of img.levels) {
    const s = l.scale;
    const shape = shapeOf(l);
    if (!s) continue;
    const bad = s.findIndex((v) => !(v > 0));
    if (bad >= 0) {
      out.push({
        where: at(img, l),
        message: `scale [${s}] has a non-positive value on axis ${bad}`,
        fix: 'scales are pixel sizes: make them positive',
      });
      continue;
    }
    // A scale of another length than the array's rank is for axes-rank or transform-rank to report.
    if (!s0 || !shape0 || !shape || l === base || s.length !== shape.length) continue;
    if (s0.length !== shape0.length || shape.length !== shape0.length) continue;
    for (let i = 0; i < s.length; i++) {
      const expected = ((shape0[i] as number) * (s0[i] as number)) / (s[i] as number);
      if (Math.abs((shape[i] as number) - expected) > 1 + 1e-9 * expected) {
        const axis = String(img.axes[i]?.name ?? i);
        out.push({
          where: at(img, l),
          message: `on axis '${axis}' the scale grows ${(s[i] as number) / (s0[i] as number)}× from level 0 but the size shrinks from ${shape0[i]} to ${shape[i]} (${(shape0[i] as number) / (shape[i] as number)}×)`,
          fix: `set this level's scale on '${axis}' to level 0's × ${(shape0[i] as number) / (shape[i] as number)}`,
        });
      }
    }
  }
  return out;
};

/** ngff.chunk-shape: chunk shapes are positive integers, one per dimension. */
export const chunkShape: Rule = (img) =>
  img.levels.flatMap((l) => {
    const a = l.array;
    const shape = shapeOf(l);
    if (!a || !shape) return [];
    const out: Problem[] = [];
    for (const [name, c] of [
      ['chunk', a.chunks],
      ['inner chunk', a.innerChunks],
    ] as const) {
      if (c === undefined && name === 'inner chunk') continue;
      const v = ints(c);
      if (!v || v.length !== shape.length || v.some((n) => n <= 0)) {
        out.push({
          where: at(img, l),
          message: `${name} shape ${JSON.stringify(c)} is not ${shape.length} positive integers`,
          fix: 'rewrite the array with a chunk size of at least 1 on every dimension',
        });
      }
    }
    return out;
  });

/** ngff.shard-chunks: a sharded array's shard shape is a whole number of inner chunks on every dimension. */
export const shardChunks: Rule = (img) =>
  img.levels.flatMap((l) => {
    const outer = ints(l.array?.chunks);
    const inner = ints(l.array?.innerChunks);
    if (!outer || !inner || outer.length !== inner.length || inner.some((n) => n <= 0)) return [];
    if (outer.every((n, i) => n % (inner[i] as number) === 0)) return [];
    return [
      {
        where: at(img, l),
        message: `shard shape [${outer}] is not a multiple of the inner chunk shape [${inner}]`,
        fix: 'choose a shard size that is a multiple of the chunk size (bfio convert --shard-size)',
      },
    ];
  });

/** ngff.omero-channels: omero.channels has one entry per channel (the size of the 'c' axis, else 1). */
export const omeroChannels: Rule = (img) => {
  const channels = img.omero?.channels;
  if (!Array.isArray(channels)) return [];
  const c = img.axes.findIndex((a) => a.type === 'channel' || a.name === 'c');
  const shape = img.levels[0] && shapeOf(img.levels[0]);
  if (!shape) return [];
  const size = c >= 0 ? shape[c] : 1;
  if (size === undefined || channels.length === size) return [];
  return [
    {
      where: `${img.where} omero.channels`,
      message: `${channels.length} channel(s) described but the image has ${size}`,
      fix: 'list one omero channel per index of the channel axis',
    },
  ];
};

/** ngff.dimension-names: in Zarr v3 (NGFF 0.5) every level's dimension_names are the axis names. */
export const dimensionNames: Rule = (img) => {
  const names = JSON.stringify(img.axes.map((a) => a.name));
  return img.levels
    .filter((l) => l.array?.zarrFormat === 3 && JSON.stringify(l.array.dimensionNames) !== names)
    .map((l) => ({
      where: at(img, l),
      message: `dimension_names ${JSON.stringify(l.array?.dimensionNames ?? null)} are not the axis names ${names}`,
      fix: 'set the array’s dimension_names to the multiscales axis names (NGFF 0.5 requires them)',
    }));
};

export const IMAGE_RULES: Array<[string, Rule]> = [
  ['ngff.dataset-exists', datasetExists],
  ['ngff.axes-rank', axesRank],
  ['ngff.axes-unique', axesUnique],
  ['ngff.axes-order', axesOrder],
  ['ngff.transform-rank', transformRank],
  ['ngff.levels-decreasing', levelsDecreasing],
  ['ngff.levels-dtype', levelsDtype],
  ['ngff.scale-consistent', scaleConsistent],
  ['ngff.chunk-shape', chunkShape],
  ['ngff.shard-chunks', shardChunks],
  ['ngff.omero-channels', omeroChannels],
  ['ngff.dimension-names', dimensionNames],
];
