import { randomBits } from "@polychip/hal";

/** 0..n-1 in an order fixed by `seed` (Fisher-Yates over the HAL's counter-based random stream). */
export function permutation(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = randomBits(seed, i) % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}
