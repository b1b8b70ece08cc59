/**
 * The WASM gather against the reference kernel: every axis of random 1-4-D tensors, runs of one
 * element and longer ones, repeated indices, float32 specials and int32 values moved bit for bit,
 * on 1 and 2 threads; bad indices still reach the reference's error.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ShapeError, sizeOf } from "@polychip/hal";
import { CpuDevice } from "../device.ts";
import { runOp, type HostInput } from "../testing.ts";
import { randomValues } from "../test-utils.ts";

const fast = new CpuDevice({ threads: 2 });
const single = new CpuDevice({ threads: 1 });
const reference = new CpuDevice({ wasm: false });
after(() => Promise.all([fast.dispose(), single.dispose()]));

/** Runs gather on `device`, returning its values and whether the WASM kernel ran. */
function gather(device: CpuDevice, inputs: HostInput[], axis: number) {
  const rt = device.fast?.runtime;
  let ran = false;
  const run = rt?.run;
  if (rt) rt.run = (pool, name, ...rest) => ((ran ||= name === "gather4"), run!.call(rt, pool, name, ...rest));
  try {
    return { values: runOp("gather", inputs, { axis }, { device })[0]!.values, ran };
  } finally {
    if (rt) rt.run = run!;
  }
}

test("gather matches the reference bit for bit on every axis of random shapes (float32 and int32)", () => {
  const u = randomValues(20_000, 3);
  let k = 0;
  const int = (lo: number, hi: number) => lo + Math.floor(((u[k++]! + 1) / 2) * (hi - lo + 1));
  for (let t = 0; t < 80; t++) {
    const shape = Array.from({ length: int(1, 4) }, () => int(1, 9));
    if (t % 10 === 0) shape[int(0, shape.length - 1)] = 70;
    const axis = int(0, shape.length - 1);
    const idxShape = Array.from({ length: int(0, 2) }, () => int(1, 5));
    const indices = Array.from({ length: sizeOf(idxShape) }, () => int(0, shape[axis]! - 1));
    const dtype = t % 3 === 0 ? "int32" : "float32";
    const values = Array.from({ length: sizeOf(shape) }, (_, i) =>
      dtype === "int32" ? ((i * 2654435761) | 0) >> 8 : ([NaN, -0, Infinity, -Infinity][i % 37] ?? u[(i * 7) % u.length]!),
    );
    const inputs: HostInput[] = [
      { values, shape, dtype },
      { values: indices, shape: idxShape, dtype: "int32" },
    ];
    const what = JSON.stringify({ shape, axis, idxShape, dtype });
    const got = gather(fast, inputs, axis);
    assert.ok(got.ran, `${what}: the WASM gather did not run`);
    const want = runOp("gather", inputs, { axis }, { device: reference })[0]!.values;
    const one = gather(single, inputs, axis).values;
    for (let i = 0; i < want.length; i++) {
      if (!Object.is(got.values[i], want[i]) || !Object.is(one[i], want[i]))
        assert.fail(`${what}: element ${i} is ${got.values[i]} / ${one[i]}, want ${want[i]}`);
    }
    assert.equal(got.values.length, want.length, what);
  }
});

test("a nearest-neighbour resize's gather (last axis, big enough to split across threads) matches the reference", () => {
  const shape = [1, 96, 24, 16];
  const inputs: HostInput[] = [
    { values: randomValues(sizeOf(shape), 9), shape },
    { values: Array.from({ length: 32 }, (_, j) => j >> 1), shape: [32], dtype: "int32" },
  ];
  const got = gather(fast, inputs, 3);
  assert.ok(got.ran);
  assert.deepEqual([...got.values], [...runOp("gather", inputs, { axis: 3 }, { device: reference })[0]!.values]);
});

test("an out-of-range index still fails with the reference's error", () => {
  const inputs: HostInput[] = [
    { values: [1, 2, 3, 4], shape: [2, 2] },
    { values: [0, 2], shape: [2], dtype: "int32" },
  ];
  assert.throws(
    () => gather(fast, inputs, 1),
    (e: unknown) => e instanceof ShapeError && /index 2/.test(e.message) && /dim 1/.test(e.message),
  );
});
