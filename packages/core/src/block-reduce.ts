/**
 * The value a downsampling mode other than mean gives one block of up to four pixels, shared by the TIFF and
 * Zarr writers so both pyramids agree pixel for pixel. Label images and masks need it: a mean invents labels.
 */

/**
 * 'mode': the most frequent of `values[0..n)`, ties resolved to the smallest value (deterministic, and the
 * background label 0 wins a tie with an object). 'max': the largest. `values` is reordered (scratch space).
 */
export function reduceBlock(values: number[], n: number, mode: 'mode' | 'max'): number {
  if (mode === 'max') {
    let m = values[0]!;
    for (let i = 1; i < n; i++) if (values[i]! > m) m = values[i]!;
    return m;
  }
  // Insertion sort of at most four values, then the longest run; the first (smallest) wins a tie.
  for (let i = 1; i < n; i++) {
    const v = values[i]!;
    let j = i - 1;
    while (j >= 0 && values[j]! > v) {
      values[j + 1] = values[j]!;
      j--;
    }
    values[j + 1] = v;
  }
  let best = values[0]!;
  let bestRun = 0;
  for (let i = 0; i < n; ) {
    let k = i + 1;
    while (k < n && values[k] === values[i]) k++;
    if (k - i > bestRun) {
      bestRun = k - i;
      best = values[i]!;
    }
    i = k;
  }
  return best;
}
