import assert from "node:assert/strict";
import { test } from "node:test";
import { EPILOGUE_BASES, parseEpilogue, parseFusedProgram } from "@polychip/hal";
import { setLazyRecorder } from "../core/lazy-hook.ts";
import { add, cast, div, linear, matmul, mul, randn, setDefaultDevice, sqrt, sub, sum, tidy, type Tensor } from "../index.ts";
import { fuseElementwise } from "../graph/passes/fuse-elementwise.ts";
import { trace } from "../trace/trace.ts";
import { execute } from "./execute.ts";
import { fusedSteps } from "./fuse.ts";
import { planMemory } from "./plan.ts";
import { StepRecorder } from "./recorder.ts";

setDefaultDevice("cpu");

type Step = (...xs: Tensor[]) => Tensor[];

/** The member ops of each group compile's grouper forms on one recording of `f` (the plan is run, so no tensor stays pending). */
function compiledGroups(f: Step, args: Tensor[], epilogues: boolean): string[][] {
  const recorder = new StepRecorder();
  const previous = setLazyRecorder(recorder);
  let results: Tensor[];
  try {
    results = tidy(() => f(...args));
  } finally {
    setLazyRecorder(previous);
  }
  const program = recorder.finish();
  const steps = fusedSteps(program, epilogues ? { epilogues: () => true } : {});
  const { outputs } = execute(planMemory(program, steps), program, { externals: recorder.externals });
  for (const [id, storage] of outputs) recorder.pending.get(id)!.adopt(storage);
  recorder.release();
  for (const t of results) t.dispose();
  return steps.flatMap((s) => (s.kind === "fused" ? [[s.op, ...s.nodes.map((n) => program.nodes[n]!.op)]] : []));
}

/** The kernel op and member ops of each group the graph pass makes of `f`'s trace (scalars it inlines as consts left out, as compile keeps them as fills). */
async function graphGroups(f: Step, args: Tensor[], epilogues: boolean): Promise<string[][]> {
  const fused = fuseElementwise(await trace(f, args), epilogues ? { epilogues: () => true } : {});
  return fused.nodes.flatMap((n) => {
    const gemm = EPILOGUE_BASES[n.op]?.base;
    if (n.op !== "fused" && !gemm) return [];
    const program = gemm ? parseEpilogue(n.op, n.attrs, n.inputs.length).program : parseFusedProgram(n.attrs);
    return [[n.op, ...(gemm ? [gemm] : []), ...program.steps.flatMap((s) => (s.op === "const" ? [] : [s.op]))]];
  });
}

/** Both callers form `expected` (each group: its kernel op, then its member ops in order). */
async function assertSameGroups(f: Step, args: Tensor[], expected: string[][], { epilogues = false } = {}): Promise<void> {
  const sorted = (groups: string[][]) => groups.map((g) => g.join(",")).sort();
  assert.deepEqual(sorted(compiledGroups(f, args, epilogues)), sorted(expected), "compile's groups");
  assert.deepEqual(sorted(await graphGroups(f, args, epilogues)), sorted(expected), "the graph pass's groups");
  for (const t of args) t.dispose();
}

test("an Adam-like update: both callers merge the chains of all four inputs into one group", async () => {
  const adam: Step = (p, g, m, v) => {
    const m2 = add(mul(m!, 0.9), mul(g!, 0.1));
    const v2 = add(mul(v!, 0.999), mul(mul(g!, g!), 0.001));
    return [sub(p!, mul(div(m2, add(sqrt(v2), 1e-8)), 0.01)), m2, v2];
  };
  const args = [randn([5, 4]), randn([5, 4]), randn([5, 4]), randn([5, 4]).abs()];
  await assertSameGroups(adam, args, [["fused", "mul", "mul", "add", "mul", "mul", "mul", "add", "sqrt", "add", "div", "mul", "sub"]]);
});

test("a reduction, a broadcast bias, a cast and a shape change end groups at the same nodes in both callers", async () => {
  const f: Step = (x, b) => {
    const a = x!.exp().mul(2).add(b!).tanh(); // one group, with a broadcast bias
    const s = sum(a, -1, true); // a reduction reads the group: a is an output of it
    const y = a.sub(s).relu(); // reads a value of the closed group and the reduction: a new group
    const r = cast(y.reshape([2, 6]).neg().abs(), "float16"); // another shape: another group
    return [y, r];
  };
  await assertSameGroups(
    f,
    [randn([4, 3]), randn([3])],
    [
      ["fused", "exp", "mul", "add", "tanh"],
      ["fused", "sub", "relu"],
      ["fused", "neg", "abs", "cast"],
    ],
  );
});

test("on a device with epilogue kernels, a GEMM heads the group of the chain after it in both callers", async () => {
  const f: Step = (x, w, b, m) => {
    const h = linear(x!, w!, b!).relu(); // matmul, then its bias and activation
    const e = h.exp().neg(); // joins too: h is one more output of the epilogue
    return [matmul(h, m!).mul(2).sigmoid(), e];
  };
  const args = [randn([4, 5]), randn([3, 5]), randn([3]), randn([3, 2])];
  await assertSameGroups(
    f,
    args,
    [
      ["matmulEpilogue", "matmul", "add", "relu", "exp", "neg"],
      ["matmulEpilogue", "matmul", "mul", "sigmoid"],
    ],
    { epilogues: true },
  );
});
