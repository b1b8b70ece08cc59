import { DTypeError, PolychipError, ShapeError, type Shape } from "@polychip/hal";
import type { Tensor } from "../tensor.ts";
import { cast, floor, minimum } from "./basic.ts";
import { rand, tensor, type CreateOptions } from "./creation.ts";

/**
 * torch.linspace: `steps` evenly spaced values from start to end inclusive, float32. Like torch,
 * the first half counts up from start and the second half down from end, so both ends are exact.
 */
export function linspace(start: number, end: number, steps: number, opts: CreateOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new ShapeError(`linspace: steps must be a non-negative integer, got ${steps}`);
  if (opts.dtype && opts.dtype !== "float32" && opts.dtype !== "float16") throw new DTypeError(`linspace: dtype must be float, got ${opts.dtype}`);
  // float32 arithmetic step by step, as torch's float kernel, so the values match it bit for bit.
  const f = Math.fround;
  const [a, b] = [f(start), f(end)];
  const step = steps > 1 ? f(f(b - a) / (steps - 1)) : 0;
  const half = Math.floor(steps / 2);
  if (steps === 1) return tensor(Float32Array.of(a), { ...opts, shape: [1] });
  const values = Array.from({ length: steps }, (_, i) => (i < half ? f(a + f(step * i)) : f(b - f(step * (steps - 1 - i)))));
  return tensor(Float32Array.from(values), { ...opts, shape: [steps] });
}

/**
 * torch.randint: integers uniform in [low, high) of `shape`, int32, from the engine's seeded
 * stream (manualSeed), so the values differ from torch's generator. randint(high, shape) starts at 0.
 */
export function randint(low: number, high: number | Shape, shape?: Shape | CreateOptions, opts: CreateOptions = {}): Tensor {
  if (!Array.isArray(shape)) return randint(0, low, high as Shape, (shape as CreateOptions | undefined) ?? opts);
  const hi = high as number;
  if (!Number.isInteger(low) || !Number.isInteger(hi) || hi <= low)
    throw new PolychipError(`randint: low and high must be integers with low < high, got low ${low}, high ${hi}`);
  if (opts.dtype && opts.dtype !== "int32") throw new DTypeError(`randint: dtype must be int32, got ${opts.dtype}`);
  if (hi - low > 2 ** 24) throw new PolychipError(`randint: the range [${low}, ${hi}) is wider than float32's exact integers (2^24)`);
  const u = rand(shape as Shape, { device: opts.device, low, high: hi });
  // low + u * (high - low) may round up to high in float32: the minimum keeps high excluded.
  return cast(minimum(floor(u), hi - 1), "int32");
}
