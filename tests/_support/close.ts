/** The `atol + rtol·|ref|` comparison every kernel test (WGSL and WebAssembly) uses. */

/**
 * Asserts `|actual − expected| ≤ atol + rtol·|expected|` elementwise (NaN always fails), naming the
 * first mismatches.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { atol, rtol, label }: { atol: number; rtol: number; label: string },
): number {
  if (actual.length !== expected.length) {
    throw new Error(`${label}: expected ${expected.length} values, got ${actual.length}`);
  }
  const bad: string[] = [];
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!, diff = Math.abs(a - e);
    worst = Math.max(worst, Number.isNaN(diff) ? Infinity : diff / (atol + rtol * Math.abs(e)));
    if (!(diff <= atol + rtol * Math.abs(e))) bad.push(`[${i}] got ${a}, expected ${e}`);
  }
  if (bad.length > 0) {
    throw new Error(
      `${label}: ${bad.length} of ${expected.length} values differ beyond atol ${atol} + rtol ${rtol}·|ref|:\n  ${
        bad.slice(0, 8).join("\n  ")
      }`,
    );
  }
  return worst;
}
