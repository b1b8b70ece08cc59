import assert from "node:assert/strict";
import { test } from "node:test";
import { compile, conv2d, gelu, linear, matmul, randn, setDefaultDevice, sum, type Tensor } from "../index.ts";
import { checkFloat16Epilogues } from "../testing/compile-twins.ts";

setDefaultDevice("cpu");

async function sameValues(compiled: Tensor, eager: Tensor) {
  assert.deepEqual(compiled.shape, eager.shape);
  const [a, e] = [await compiled.data(), await eager.data()];
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - e[i]!) <= 1e-6 * Math.max(1, Math.abs(e[i]!)), `[${i}]: ${a[i]} vs ${e[i]}`);
}

test("an elementwise chain becomes one fused launch", async () => {
  const f = (x: Tensor, y: Tensor) => x.mul(y).add(1).tanh().mul(0.5).sub(y);
  const g = compile(f);
  const x = randn([3, 4]);
  const y = randn([3, 4]);
  await sameValues(g(x, y), f(x, y));
  // Four scalar fills stay separate launches; the five elementwise ops are one.
  assert.deepEqual([g.stats.lastPlan!.opsRecorded, g.stats.lastPlan!.launches, g.stats.lastPlan!.fusedGroups], [7, 3, 1]);
});

test("a value read outside the chain is an output of the group, and later nodes start a new group", async () => {
  const f = (x: Tensor) => {
    const a = x.exp().mul(2);
    const total = sum(a);
    return a.add(total).relu();
  };
  const g = compile(f);
  const x = randn([5, 2]);
  await sameValues(g(x), f(x));
  assert.equal(g.stats.lastPlan!.fusedGroups, 2);
});

test("a group value read through a transposed view is not kept in registers", async () => {
  const f = (x: Tensor) => {
    const a = x.mul(3).add(1);
    return a.add(a.transpose(0, 1)).sigmoid();
  };
  const g = compile(f);
  const x = randn([4, 4]);
  await sameValues(g(x), f(x));
});

test("broadcast inputs (a bias row, a scalar) fuse with full-size values", async () => {
  const f = (x: Tensor, b: Tensor) => x.add(b).mul(x).neg().exp();
  const g = compile(f);
  const [x, b] = [randn([6, 3]), randn([3])];
  await sameValues(g(x, b), f(x, b));
  assert.equal(g.stats.lastPlan!.fusedGroups, 1);
});

test("without fusion every live op is its own launch, and unread results are not computed", async () => {
  const f = (x: Tensor) => {
    x.exp().dispose(); // nobody reads it
    return x.mul(2).add(1);
  };
  const g = compile(f, { fuse: false });
  const x = randn([2, 2]);
  await sameValues(g(x), f(x));
  assert.deepEqual([g.stats.lastPlan!.opsRecorded, g.stats.lastPlan!.launches], [5, 4]);
});

test("a conv2d with its bias, then relu, becomes one conv2dEpilogue launch on a device with that kernel", async () => {
  const f = (x: Tensor, w: Tensor, b: Tensor) => conv2d(x, w, b, { padding: 1 }).relu().mul(2);
  const g = compile(f);
  const [x, w, b] = [randn([2, 3, 5, 5]), randn([4, 3, 3, 3]), randn([4])];
  await sameValues(g(x, w, b), f(x, w, b));
  // One fill (the 2) and one launch for conv2d, relu and mul.
  assert.deepEqual([g.stats.lastPlan!.opsRecorded, g.stats.lastPlan!.launches, g.stats.lastPlan!.epilogues], [4, 2, 1]);
});

test("a matmul's broadcast bias and GELU join its epilogue; a result read elsewhere is an output of it", async () => {
  const f = (x: Tensor, w: Tensor, b: Tensor) => {
    const pre = linear(x, w, b);
    return [gelu(pre), sum(pre)] as const;
  };
  const g = compile(f);
  const [x, w, b] = [randn([6, 5]), randn([3, 5]), randn([3])];
  const [got, eager] = [g(x, w, b), f(x, w, b)];
  await sameValues(got[0], eager[0]);
  await sameValues(got[1], eager[1]);
  assert.equal(g.stats.lastPlan!.epilogues, 1);
});

test("a GEMM result that another node reads before the chain ends closes the group", async () => {
  const f = (a: Tensor, b: Tensor) => {
    const p = matmul(a, b);
    const s = sum(p); // read outside before relu: relu may not join after it
    return p.relu().add(s);
  };
  const g = compile(f);
  const [a, b] = [randn([4, 3]), randn([3, 5])];
  await sameValues(g(a, b), f(a, b));
  assert.equal(g.stats.lastPlan!.epilogues, 0);
});

test("epilogues: false keeps every GEMM a launch of its own", async () => {
  const f = (x: Tensor, w: Tensor, b: Tensor) => conv2d(x, w, b).relu();
  const g = compile(f, { epilogues: false });
  const [x, w, b] = [randn([1, 2, 4, 4]), randn([3, 2, 3, 3]), randn([3])];
  await sameValues(g(x, w, b), f(x, w, b));
  assert.deepEqual([g.stats.lastPlan!.launches, g.stats.lastPlan!.epilogues], [2, 0]);
});

test("a float16 conv2d and matmul take their epilogues too, bit for bit equal to eager (the product rounds to half first)", async () => {
  await checkFloat16Epilogues();
});
