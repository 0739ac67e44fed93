// Insertion sorts for the handful of values (one per peer) at one coordinate: for n up to a few dozen they
// beat Array.prototype.sort by far and allocate nothing, which matters when called 5 million times a round.

/** Sorts vals[0..n) ascending in place. */
export function sortValues(vals: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) {
    const x = vals[i]!;
    let j = i - 1;
    while (j >= 0 && vals[j]! > x) {
      vals[j + 1] = vals[j]!;
      j--;
    }
    vals[j + 1] = x;
  }
}

/** Sorts vals[0..n) ascending in place, moving ws[] along with it. */
export function sortWithWeights(vals: Float64Array, ws: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) {
    const x = vals[i]!;
    const w = ws[i]!;
    let j = i - 1;
    while (j >= 0 && vals[j]! > x) {
      vals[j + 1] = vals[j]!;
      ws[j + 1] = ws[j]!;
      j--;
    }
    vals[j + 1] = x;
    ws[j + 1] = w;
  }
}
