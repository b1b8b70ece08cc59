/**
 * Exponential moving average with TensorBoard's debiasing: early points are not pulled toward 0.
 * `weight` 0 returns the series unchanged; 0.99 is very smooth.
 */
export function smooth(values: readonly number[], weight: number): number[] {
  const w = Math.min(Math.max(weight, 0), 0.999);
  let last = 0;
  let steps = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return v;
    last = last * w + (1 - w) * v;
    steps++;
    const debias = w === 0 ? 1 : 1 - Math.pow(w, steps);
    return last / debias;
  });
}
