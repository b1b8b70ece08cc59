import { test } from "node:test";
import { fusedChecksOnOneAndThreeThreads, input, program, transposed } from "../fused-test-helpers.ts";
import type { HostInput } from "../testing.ts";
import { randomValues } from "../test-utils.ts";

const checks = fusedChecksOnOneAndThreeThreads();

const UNARY = ["neg", "abs", "relu", "floor", "exp", "tanh", "sigmoid", "erf", "sin"];
const BINARY = ["add", "sub", "mul", "div", "maximum", "minimum"];

/** The shapes an input of a program over [a, b, c] may have: full, broadcast rows, columns, planes and a scalar; null: full but transposed. */
const shapesFor = ([a, b, c]: readonly number[]): (number[] | null)[] => [[a!, b!, c!], [c!], [b!, 1], [a!, 1, 1], [1, b!, c!], [1, b!, 1], [], null];

/** A random float32 program of `length` steps over `inputs` values, mixing WASM and JavaScript ops, compares and wheres. */
function randomProgram(seed: number, inputs: number, length: number): { steps: unknown[]; outputs: number[] } {
  const r = randomValues(4 * length, seed).map((v) => (v + 1) / 2);
  const pick = <T>(xs: readonly T[], u: number): T => xs[Math.min(xs.length - 1, Math.floor(u * xs.length))]!;
  const steps: unknown[] = [];
  const floats: number[] = Array.from({ length: inputs }, (_, k) => k);
  for (let s = 0; s < length; s++) {
    const [u0, u1, u2, u3] = r.slice(4 * s, 4 * s + 4) as [number, number, number, number];
    const value = inputs + steps.length;
    if (u0 < 0.35) steps.push({ op: pick(UNARY, u1), args: [pick(floats, u2)] });
    else if (u0 < 0.85) steps.push({ op: pick(BINARY, u1), args: [pick(floats, u2), pick(floats, u3)] });
    else {
      // where(a > b, a, b): a compare feeding a select, bool values crossing stages.
      const [a, b] = [pick(floats, u2), pick(floats, u3)];
      steps.push({ op: "greater", args: [a, b] }, { op: "where", args: [value, a, b] });
      floats.push(value + 1);
      continue;
    }
    floats.push(value);
  }
  const last = inputs + steps.length - 1;
  return { steps, outputs: [last, floats[Math.floor(r[0]! * floats.length)]! === last ? last : Math.max(inputs, last - 2)] };
}

test("random float32 programs over random broadcasts and transposed views equal the unfused ops, small and staged sizes, 1 and 3 threads", () => {
  for (let seed = 1; seed <= 36; seed++) {
    const dims = seed % 3 === 0 ? [9, 41, 47] : [3, 5, 7];
    const count = 2 + (seed % 3);
    const options = shapesFor(dims);
    const pickShape = randomValues(count, seed * 7).map((u) => options[Math.floor(((u + 1) / 2) * options.length) % options.length]!);
    pickShape[0] = dims; // the output takes the full shape
    const inputs: HostInput[] = pickShape.map((shape, k) => (shape ? input(seed * 10 + k, shape) : transposed(seed * 10 + k, dims)));
    const { steps, outputs } = randomProgram(seed, count, 3 + (seed % 6));
    const attrs = program(steps, outputs);
    try {
      for (const { assertSameBits } of checks) assertSameBits(attrs, inputs);
    } catch (err) {
      throw new Error(
        `seed ${seed}: ${String(attrs.program)} -> ${String(attrs.outputs)} on ${inputs.map((i) => `[${i.shape.join(",")}]`).join(" ")}: ${(err as Error).message}`,
      );
    }
  }
});
