/**
 * Which resolution level to draw at a zoom: the coarsest level whose pixels are still no larger than a
 * canvas pixel, so the view is never blurrier than the screen and never reads more than about one pixel
 * per canvas pixel (four times that at worst, just below a level's switch point).
 */

/** What level choice needs of a level (`LevelInfo` of @bfio/core fits). */
export interface LevelSize {
  sizeX: number;
  sizeY: number;
  /** The file's own downsampling factors (NGFF scales), when it records them. */
  downsample?: { x: number; y: number };
}

/**
 * How many level-0 pixels one pixel of `level` spans, along X and Y: the recorded factor, else the size
 * ratio (439 px halved is 219 px: a factor of 2.0046 without a recorded one).
 */
export function levelFactors(levels: readonly LevelSize[], level: number): { fx: number; fy: number } {
  const base = levels[0]!;
  const here = levels[level]!;
  return {
    fx: here.downsample?.x ?? base.sizeX / here.sizeX,
    fy: here.downsample?.y ?? base.sizeY / here.sizeY,
  };
}

/**
 * Slack for size-rounded pyramids: 167 px halved three times is 20 px, a factor of 8.35 by sizes. Without
 * it the view would read the finer level (4× the pixels) at and just below every power-of-two zoom; with
 * it a level pixel may cover up to 1.1 canvas pixels.
 */
const SLACK = 1.1;

/**
 * The level to draw at `scale` canvas pixels per level-0 pixel: the largest factor f with f·scale ≤ 1
 * (one level pixel covers at most one canvas pixel; f the larger of a level's X and Y factors), level 0
 * when zoomed in past actual size. Levels need not be sorted; ties keep the lower index.
 */
export function chooseLevel(levels: readonly LevelSize[], scale: number): number {
  let best = 0;
  let bestFactor = 1;
  for (let i = 1; i < levels.length; i++) {
    const { fx, fy } = levelFactors(levels, i);
    const f = Math.max(fx, fy);
    if (f * scale <= SLACK && f > bestFactor) {
      best = i;
      bestFactor = f;
    }
  }
  return best;
}
