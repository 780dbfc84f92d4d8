/** Where our axes t,c,z,y,x are in a Zarr array: from its dimension names, or by bfio's TCZYX convention. */
import { UnsupportedError } from '@bfio/core';
import { AXES, type AxisName } from '../ngff.js';

/** Maps array axes to ours from names; undefined when some name is not one of t,c,z,y,x. */
export function axesFromNames(
  names: readonly string[],
  shape: readonly number[],
  file: string,
): number[] | undefined {
  const axisOf = [-1, -1, -1, -1, -1];
  for (let i = 0; i < names.length; i++) {
    const k = AXES.indexOf(names[i]?.toLowerCase() as AxisName);
    if (k < 0) {
      // An axis bfio has no name for is fine when it has one element (we read index 0).
      if ((shape[i] ?? 1) === 1) continue;
      throw new UnsupportedError(
        `${file} has an axis '${names[i]}' of size ${shape[i]}; bfio reads only t, c, z, y and x axes`,
        file,
      );
    }
    if (axisOf[k] !== -1) return undefined;
    axisOf[k] = i;
  }
  return axisOf;
}

/** bfio's assumption for arrays without axis names: the last dimensions are T,C,Z,Y,X. */
export function assumedAxes(ndim: number): number[] {
  const axisOf = [-1, -1, -1, -1, -1];
  for (let i = 0; i < ndim; i++) axisOf[5 - ndim + i] = i;
  return axisOf;
}

/** The axis letters of a level in the array's own order (e.g. 'tczyx', 'cyx'). */
export function axisOrder(axisOf: readonly number[]): string {
  return axisOf
    .map((a, k) => [a, AXES[k]] as const)
    .filter(([a]) => a >= 0)
    .sort((p, q) => p[0] - q[0])
    .map(([, n]) => n)
    .join('');
}
