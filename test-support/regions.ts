/** Regions tests ask for often (structural types: test-support does not depend on the packages). */

interface Sizes {
  sizeX: number;
  sizeY: number;
  sizeZ: number;
  sizeC: number;
  sizeT: number;
}

/** Every pixel of a level: all of X, Y and Z, every channel and time point (a @bfio/core Region). */
export function wholeLevel(l: Sizes): {
  x: [number, number];
  y: [number, number];
  z: [number, number];
  c: number[];
  t: number[];
} {
  return {
    x: [0, l.sizeX],
    y: [0, l.sizeY],
    z: [0, l.sizeZ],
    c: [...Array(l.sizeC).keys()],
    t: [...Array(l.sizeT).keys()],
  };
}
