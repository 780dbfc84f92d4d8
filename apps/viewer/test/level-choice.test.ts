import { describe, expect, it } from 'vitest';
import { chooseLevel, levelFactors } from '../src/level-choice.js';

// The size-rounded pyramid of the HuBMAP multi-channel sample: 439×167 halved seven times.
const rounded = [
  { sizeX: 439, sizeY: 167 },
  { sizeX: 219, sizeY: 83 },
  { sizeX: 109, sizeY: 41 },
  { sizeX: 54, sizeY: 20 },
];

describe('level choice', () => {
  it('uses full resolution at and beyond actual size', () => {
    expect(chooseLevel(rounded, 1)).toBe(0);
    expect(chooseLevel(rounded, 8)).toBe(0);
    expect(chooseLevel(rounded, 0.6)).toBe(0); // level 1 pixels would cover 1.2 canvas pixels
  });

  it('picks the coarsest level whose pixels are at most one canvas pixel', () => {
    expect(chooseLevel(rounded, 0.5)).toBe(1); // 439/219 = 2.0046: still "half", within the slack
    expect(chooseLevel(rounded, 0.52)).toBe(1); // 1.04 canvas pixels per level pixel: within the slack
    expect(chooseLevel(rounded, 0.3)).toBe(1); // level 2 pixels would cover 4.03 × 0.3 = 1.2 px
    expect(chooseLevel(rounded, 0.25)).toBe(2); // 167/41 = 4.07: 1.02 px
    expect(chooseLevel(rounded, 0.01)).toBe(3); // beyond the coarsest level, the coarsest
  });

  it('prefers the factors a file records over size ratios', () => {
    const ngff = [
      { sizeX: 150, sizeY: 150 },
      { sizeX: 37, sizeY: 37, downsample: { x: 4, y: 4 } }, // 150/37 = 4.05 by sizes
    ];
    expect(levelFactors(ngff, 1)).toEqual({ fx: 4, fy: 4 });
    expect(chooseLevel(ngff, 0.25)).toBe(1);
    // At 0.274: 4 × 0.274 = 1.096 canvas px, within the slack; by sizes 4.054 × 0.274 = 1.111, not.
    expect(chooseLevel(ngff, 0.274)).toBe(1);
    expect(chooseLevel([ngff[0]!, { sizeX: 37, sizeY: 37 }], 0.274)).toBe(0);
  });

  it('handles levels in any order, and anisotropic factors by the coarser axis', () => {
    const unsorted = [
      { sizeX: 1000, sizeY: 1000 },
      { sizeX: 250, sizeY: 250 },
      { sizeX: 500, sizeY: 500 },
    ];
    expect(chooseLevel(unsorted, 0.5)).toBe(2);
    expect(chooseLevel(unsorted, 0.25)).toBe(1);
    const aniso = [
      { sizeX: 1000, sizeY: 1000 },
      { sizeX: 250, sizeY: 500 },
    ];
    expect(chooseLevel(aniso, 0.25)).toBe(1); // a level-1 pixel: 4 × 0.25 = 1 px wide, 0.5 px tall
    expect(chooseLevel(aniso, 0.5)).toBe(0); // it would be 2 px wide
  });
});
