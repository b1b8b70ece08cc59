import assert from "node:assert/strict";
import { test } from "node:test";
import type { AttrValue, Attrs } from "./device.ts";
import { ShapeError } from "./errors.ts";
import { randomUnit } from "./random.ts";
import { contiguousStrides, sizeOf, type Dim } from "./shape.ts";
import { planShape, planStructural, STRUCTURAL_OPS, type StructuralOp } from "./structural.ts";
import { inferStructuralSymbolic, type RunTimeValues, type SymbolicStructuralInput } from "./structural-symbolic.ts";

interface Case {
  op: StructuralOp;
  shape: number[];
  attrs: Attrs;
  extra: (number[] | undefined)[];
  outputCount: number;
}

/** Seeded draws from the HAL's counter-based generator, so a failing case can be replayed. */
function random(seed: number) {
  let index = 0;
  const next = () => randomUnit(seed, index++);
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!;
  const list = (n: number, lo: number, hi: number) => Array.from({ length: n }, () => int(lo, hi));
  return { next, int, pick, list };
}

/** Arguments as an attribute or as the input that replaces it, chosen at random. */
function attrOrInput(
  r: ReturnType<typeof random>,
  attrs: Record<string, AttrValue>,
  extra: (number[] | undefined)[],
  index: number,
  name: string,
  v: number[] | undefined,
) {
  if (v === undefined) return;
  if (r.next() < 0.5) attrs[name] = v;
  else extra[index - 1] = v;
}

/** Random cases of every structural op, valid and invalid alike. */
function randomCase(r: ReturnType<typeof random>): Case {
  const op = r.pick(STRUCTURAL_OPS);
  const shape = r.list(r.int(0, 4), 0, 4).map((d) => (d === 0 && r.next() < 0.7 ? 1 : d));
  const rank = shape.length;
  const attrs: Record<string, AttrValue> = {};
  const extra: (number[] | undefined)[] = [];
  let outputCount = 1;
  switch (op) {
    case "reshape": {
      const size = sizeOf(shape);
      const target = r.next() < 0.6 && size > 0 ? [size] : r.list(r.int(0, 3), 0, 4);
      if (target.length > 0 && r.next() < 0.5 && target[0]! > 1) {
        const f = r.pick([2, 3]);
        if (target[0]! % f === 0) target.splice(0, 1, f, target[0]! / f);
      }
      if (r.next() < 0.4 && target.length > 0) target[r.int(0, target.length - 1)] = -1;
      if (r.next() < 0.3) target.unshift(0);
      if (r.next() < 0.05) target.push(-1, -1);
      if (r.next() < 0.3) attrs.allowZero = true;
      attrOrInput(r, attrs, extra, 1, "shape", target);
      break;
    }
    case "permute":
      if (r.next() < 0.9) {
        const dims = [...shape.keys()].sort(() => r.next() - 0.5).map((d) => (r.next() < 0.2 ? d - rank : d));
        if (r.next() < 0.1) dims.push(0);
        attrOrInput(r, attrs, extra, 1, "dims", dims);
      }
      break;
    case "slice": {
      const n = r.int(0, Math.max(rank, 1));
      attrOrInput(r, attrs, extra, 1, "starts", r.list(n, -6, 6));
      attrOrInput(
        r,
        attrs,
        extra,
        2,
        "ends",
        r.list(n, -6, 6).map((e) => (r.next() < 0.2 ? 2 ** 31 - 1 : e)),
      );
      if (r.next() < 0.7) attrOrInput(r, attrs, extra, 3, "axes", r.list(n + (r.next() < 0.05 ? 1 : 0), -rank, rank));
      if (r.next() < 0.6) attrOrInput(r, attrs, extra, 4, "steps", r.list(n, -3, 3));
      break;
    }
    case "expand": {
      const target = [...shape].map((d) => (d === 1 ? r.int(0, 3) : r.next() < 0.1 ? d + 1 : r.pick([d, 1])));
      if (r.next() < 0.5) target.unshift(r.int(1, 3));
      attrOrInput(r, attrs, extra, 1, "shape", target);
      break;
    }
    case "squeeze":
    case "unsqueeze":
      if (r.next() < 0.85) attrOrInput(r, attrs, extra, 1, "axes", r.list(r.int(0, 2), -rank - 1, rank));
      break;
    case "flatten":
      if (r.next() < 0.8) attrs.axis = r.int(-rank - 1, rank + 1);
      break;
    case "constant":
      attrs.shape = r.list(r.int(0, 2), 0, 3);
      attrs.value = r.list(r.next() < 0.8 ? sizeOf(attrs.shape as number[]) : 2, -5, 5);
      attrs.dtype = r.pick(["float32", "int32", "bogus"]);
      break;
    case "shape":
      if (r.next() < 0.5) attrs.start = r.int(-5, 5);
      if (r.next() < 0.5) attrs.end = r.int(-5, 5);
      if (r.next() < 0.05) attrs.end = 1.5;
      break;
    case "split": {
      outputCount = r.int(1, 4);
      if (rank > 0 || r.next() < 0.1) attrs.axis = r.int(-rank, Math.max(rank - 1, 0));
      if (r.next() < 0.5) attrOrInput(r, attrs, extra, 1, "sizes", r.list(r.next() < 0.9 ? outputCount : outputCount + 1, 0, 3));
      break;
    }
    case "identity":
    case "size":
      break;
  }
  return { op, shape, attrs, extra, outputCount };
}

type Outcome = { ok: { dtype: string; shape: readonly Dim[] }[] } | { error: string };

function outcome(f: () => { dtype: string; shape: readonly Dim[] }[]): Outcome {
  try {
    return { ok: f().map((m) => ({ dtype: m.dtype, shape: [...m.shape] })) };
  } catch (e) {
    return { error: `${(e as Error).constructor.name}: ${(e as Error).message}` };
  }
}

function planned(c: Case): Outcome {
  const x = c.op === "constant" ? undefined : { dtype: "float32" as const, shape: c.shape, strides: contiguousStrides(c.shape), offset: 0 };
  return outcome(() =>
    planStructural(c.op, { x, extra: c.extra, attrs: c.attrs, outputCount: c.outputCount }).map((p) => ({
      dtype: p.kind === "value" ? p.dtype : "float32",
      shape: planShape(p),
    })),
  );
}

function symbolic(c: Case, shape: readonly Dim[] = c.shape, fresh?: () => string): Outcome {
  const x = c.op === "constant" ? undefined : { dtype: "float32" as const, shape };
  return outcome(() => inferStructuralSymbolic(c.op, { x, extra: c.extra, attrs: c.attrs, outputCount: c.outputCount }, { fresh }));
}

test("on numbers every rule gives exactly planStructural's dtype, shape or error, over 4000 random cases", () => {
  const r = random(20261206);
  const seen = new Map<string, { ok: number; error: number }>();
  for (let i = 0; i < 4000; i++) {
    const c = randomCase(r);
    const want = planned(c);
    assert.deepEqual(symbolic(c), want, `case ${i}: ${JSON.stringify(c)}`);
    const count = seen.get(c.op) ?? { ok: 0, error: 0 };
    if ("ok" in want) count.ok++;
    else count.error++;
    seen.set(c.op, count);
  }
  // Every op was exercised on accepted inputs, and every op that can refuse its arguments did.
  for (const op of STRUCTURAL_OPS) {
    const count = seen.get(op)!;
    assert.ok(count.ok >= 40, `${op}: only ${count.ok} accepted cases`);
    if (op !== "identity" && op !== "size") assert.ok(count.error >= 5, `${op}: only ${count.error} refused cases`);
  }
});

test("a dim replaced by a symbol comes out as that symbol, a whole multiple of it, the same number, or a fresh symbol", () => {
  const r = random(7);
  let symbolsKept = 0;
  for (let i = 0; i < 3000; i++) {
    const c = randomCase(r);
    const want = planned(c);
    if (!("ok" in want) || c.shape.length === 0) continue;
    const named = c.shape.map((d, k) => (r.next() < 0.5 ? `s${k}` : d));
    const binding = new Map(named.flatMap((d, k) => (typeof d === "string" ? [[d, c.shape[k]!] as const] : [])));
    let fresh = 0;
    const got = symbolic(c, named, () => `?${++fresh}`);
    if (!("ok" in got)) {
      // Refusing is allowed only where the symbols hide what the rule must know.
      assert.match(got.error, /cannot tell|symbolic dims|only at run time/, `case ${i}: ${JSON.stringify(c)} as ${JSON.stringify(named)}`);
      continue;
    }
    got.ok.forEach((m, j) =>
      m.shape.forEach((d, k) => {
        const expected = want.ok[j]!.shape[k];
        if (typeof d === "number") assert.equal(d, expected, `case ${i}: ${JSON.stringify(c)} as ${JSON.stringify(named)}`);
        else if (binding.has(d)) {
          assert.equal(binding.get(d), expected, `case ${i}: ${JSON.stringify(c)} as ${JSON.stringify(named)}`);
          symbolsKept++;
        } else if (/^(.+)\*(\d+)$/.test(d)) {
          const [, base, factor] = /^(.+)\*(\d+)$/.exec(d)!;
          assert.equal(binding.get(base!)! * Number(factor), expected, `case ${i}: ${JSON.stringify(c)} as ${JSON.stringify(named)}`);
        } else assert.match(d, /^\?\d+$/);
      }),
    );
  }
  assert.ok(symbolsKept > 500, `only ${symbolsKept} symbols carried through`);
});

const sym = (op: StructuralOp, shape: Dim[], attrs: Attrs, extra: SymbolicStructuralInput["extra"] = [], outputCount = 1) =>
  inferStructuralSymbolic(op, { x: { dtype: "float32", shape }, extra, attrs, outputCount }).map((m) => m.shape);

test("reshape cancels symbols: [0, -1] of [batch, 3, 4] is [batch, 12] and [-1, 12] is [batch, 12]", () => {
  assert.deepEqual(sym("reshape", ["batch", 3, 4], { shape: [0, -1] }), [["batch", 12]]);
  assert.deepEqual(sym("reshape", ["batch", 3, 4], {}, [[-1, 12]]), [["batch", 12]]);
  assert.deepEqual(sym("reshape", ["batch", 12], {}, [[12, -1]]), [[12, "batch"]]);
  assert.deepEqual(sym("reshape", ["batch", "seq", 8], { shape: [0, 0, 2, -1] }), [["batch", "seq", 2, 4]]);
  assert.deepEqual(sym("reshape", ["batch", 3], { shape: [6] }), [[6]]); // right when batch is 2, else a run-time error
});

test("reshape refuses what no size of the symbols allows, and what it cannot tell without a fresh symbol", () => {
  assert.throws(() => sym("reshape", ["batch", 3, 4], { shape: [0, 13] }), /reshape: cannot reshape \[batch, 3, 4\] \(12\*batch elements\) to \[0, 13\]/);
  assert.throws(() => sym("reshape", ["batch", 3, 4], { shape: [0, 5, -1] }), /cannot reshape/);
  assert.throws(
    () => sym("reshape", ["batch", "seq"], { shape: [-1, 2] }),
    (e: Error) => e instanceof ShapeError && /^reshape: cannot tell -1 .* \(input float32\[batch, seq\], attrs \{"shape":\[-1,2\]\}\)$/.test(e.message),
  );
  // A merged batch stays a multiple of it, as shape inference writes it: [batch, 3] to [-1] is [batch*3].
  assert.deepEqual(sym("reshape", ["batch", 3], { shape: [-1] }), [["batch*3"]]);
  assert.deepEqual(sym("reshape", ["batch*3", 4], { shape: [-1, 12] }), [["batch", 12]]);
  const fresh = inferStructuralSymbolic(
    "reshape",
    { x: { dtype: "float32", shape: ["batch", "seq"] }, extra: [], attrs: { shape: [-1, 2] }, outputCount: 1 },
    { fresh: () => "n1" },
  );
  assert.deepEqual(fresh[0]!.shape, ["n1", 2]);
});

test("a target computed at run time gives its length's rank of unknown dims, and no rank when the length is unknown", () => {
  const runTime = (n: Dim): RunTimeValues => ({ runTimeLength: n });
  let k = 0;
  const fresh = () => `?${++k}`;
  const infer = (op: StructuralOp, shape: Dim[], length: Dim) =>
    inferStructuralSymbolic(op, { x: { dtype: "float32", shape }, extra: [runTime(length)], attrs: {}, outputCount: 1 }, { fresh })[0]!.shape;
  assert.deepEqual(infer("reshape", [2, 6], 3), ["?1", "?2", "?3"]);
  assert.deepEqual(infer("expand", ["batch", 1, 4], 2), ["?4", "?5", "?6"]);
  assert.throws(() => infer("reshape", [2, 6], "n"), /reshape: the target's length n is known only at run time/);
  assert.throws(() => infer("reshape", [2, 6], 1e9), /more than Polychip supports \(64\)/);
  assert.throws(() => sym("reshape", [2, 6], {}, [runTime(2)]), /reshape: cannot tell dim 0/);
});

test("flatten, permute, squeeze and unsqueeze carry symbols through", () => {
  assert.deepEqual(sym("flatten", ["batch", 3, 4], {}), [["batch", 12]]);
  assert.deepEqual(sym("flatten", [1, "batch", 1], { axis: 2 }), [["batch", 1]]);
  assert.throws(() => sym("flatten", ["batch", "seq", 4], { axis: 2 }), /flatten: cannot tell the product batch\*seq as one dim/);
  assert.deepEqual(sym("permute", ["batch", 3, "seq"], { dims: [2, 0, 1] }), [["seq", "batch", 3]]);
  assert.deepEqual(sym("squeeze", ["batch", 1, 3], { axes: [1] }), [["batch", 3]]);
  assert.throws(() => sym("squeeze", ["batch", 1, 3], {}), /squeeze: without axes .* \[batch, 1, 3\] has symbolic dims/);
  assert.throws(() => sym("squeeze", ["batch", 2], { axes: [1] }), /squeeze: dim 1 of \[batch, 2\] is 2, not 1/);
  assert.deepEqual(sym("unsqueeze", ["batch", 3], { axes: [0, -1] }), [[1, "batch", 3, 1]]);
});

test("slice keeps a symbol it takes whole, computes numeric dims, and cannot tell part of a symbol", () => {
  assert.deepEqual(sym("slice", ["batch", 10], { starts: [0, 2], ends: [2 ** 31 - 1, -1] }), [["batch", 7]]);
  assert.deepEqual(sym("slice", ["batch", 10], {}, [[1], [5], [1], [2]]), [["batch", 2]]);
  assert.throws(() => sym("slice", ["batch", 10], { starts: [1], ends: [3] }), /slice: cannot tell dim 0 \(batch\) sliced 1:3:1/);
  assert.throws(() => sym("slice", ["batch"], { starts: [0], ends: [3], steps: [0] }), /step must be a non-zero integer/);
  const bounds = inferStructuralSymbolic(
    "slice",
    { x: { dtype: "float32", shape: ["batch", 10, 4] }, extra: [{ runTimeLength: 1 }, [5], [1]], attrs: {}, outputCount: 1 },
    { fresh: () => "?" },
  );
  assert.deepEqual(bounds[0]!.shape, ["batch", "?", 4]);
});

test("expand takes the target's size against a symbol and keeps the symbol against 1", () => {
  assert.deepEqual(sym("expand", ["batch", 1], { shape: [1, 5] }), [["batch", 5]]);
  assert.deepEqual(sym("expand", ["batch"], { shape: [2, 3] }), [[2, 3]]);
  assert.throws(() => sym("expand", [2, "batch"], { shape: [3, 1] }), /expand: shapes \[2, batch\] and \[3, 1\] cannot be broadcast together/);
});

test("split gives listed sizes of a symbolic dim, the dim itself for one part, and cannot tell equal parts", () => {
  assert.deepEqual(sym("split", ["batch", 6], { axis: 1 }, [], 3), [
    ["batch", 2],
    ["batch", 2],
    ["batch", 2],
  ]);
  assert.deepEqual(sym("split", ["n", 6], { sizes: [1, 3] }, [], 2), [
    [1, 6],
    [3, 6],
  ]);
  assert.deepEqual(sym("split", ["n", 6], {}, [], 1), [["n", 6]]);
  assert.throws(() => sym("split", ["n", 6], {}, [], 2), /split: cannot tell part 0 of dim 0 \(n\) split in 2/);
  assert.throws(() => sym("split", ["n", 6], {}, [{ runTimeLength: 2 }], 1), /split: cannot tell part 0/);
});

test("shape and size have static shapes; their values are the dims, symbols included", () => {
  const of = (op: "shape" | "size", dims: Dim[], attrs: Attrs = {}) =>
    inferStructuralSymbolic(op, { x: { dtype: "float32", shape: dims }, extra: [], attrs, outputCount: 1 })[0]!;
  assert.deepEqual(of("shape", ["batch", 3, 4], { start: 1 }), { dtype: "int32", shape: [2], values: [3, 4] });
  assert.deepEqual(of("shape", ["batch", "seq", 4], { end: -1 }), { dtype: "int32", shape: [2], values: ["batch", "seq"] });
  assert.deepEqual(of("shape", [2, 3, 4], { start: -2 }), { dtype: "int32", shape: [2], values: [3, 4] });
  assert.deepEqual(of("size", ["batch", 3]), { dtype: "int32", shape: [], values: ["batch*3"] });
  // Two symbols multiply to no one dim: the size is left unknown.
  assert.deepEqual(of("size", ["batch", "seq"]), { dtype: "int32", shape: [] });
});

test("values of a view follow the input's values, up to the limit", () => {
  const input = { x: { dtype: "int32" as const, shape: [2, 3], values: [0, 1, 2, 3, 4, 5] }, extra: [], attrs: { dims: [1, 0] }, outputCount: 1 };
  assert.deepEqual(inferStructuralSymbolic("permute", input)[0]!.values, [0, 3, 1, 4, 2, 5]);
  assert.equal(inferStructuralSymbolic("permute", input, { valueLimit: 5 })[0]!.values, undefined);
  const constant = inferStructuralSymbolic("constant", { extra: [], attrs: { shape: [2], value: [7, 8], dtype: "int32" }, outputCount: 1 });
  assert.deepEqual(constant, [{ dtype: "int32", shape: [2], values: [7, 8] }]);
});
