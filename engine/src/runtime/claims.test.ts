import assert from "node:assert/strict";
import { test } from "node:test";
import { CpuDevice, cpuKernels } from "@polychip/device-cpu";
import {
  DeviceError,
  HAL_VERSION,
  KernelRegistry,
  UnsupportedOpError,
  type Device,
  type DevicePlugin,
  type GraphView,
  type KernelCall,
  type ProfileEvent,
  type SubgraphClaim,
  type TensorView,
} from "@polychip/hal";
import { registerPlugin } from "../core/devices.ts";
import { fallbackReport, resetFallbackReport, setFallbackPolicy, setWarningHandler } from "../core/fallback.ts";
import { profiler } from "../core/profiler.ts";
import { memoryStats } from "../core/storage.ts";
import { graph, info, init, node, values } from "../graph/testing.ts";
import { createSession } from "./session.ts";

const cpuRegistry = new KernelRegistry();
cpuRegistry.registerAll(cpuKernels);

/** Runs one op on `device` inside a claim, the way a compiled program would: outputs from launch.alloc. */
function launchOp(device: Device, alloc: (dtype: "float32", shape: readonly number[]) => TensorView, op: string, inputs: TensorView[]): TensorView {
  const out = alloc("float32", inputs[0]!.shape);
  const call: KernelCall = { op, inputs, outputs: [out], attrs: {} };
  device.launch(cpuRegistry.find("cpu", op, "float32")!.kernel, call);
  return out;
}

interface ClaimTestOptions {
  readonly name: string;
  /** Which nodes to claim; default: every mul/exp/add node, as one group. */
  readonly claim?: (g: GraphView) => SubgraphClaim[];
  readonly throwInRun?: boolean;
}

/**
 * A test accelerator: the CPU's memory under another name, without an exp kernel (so exp falls back
 * op by op), counting bytes moved between host and device; its plugin claims mul → exp → add chains.
 */
function claimingPlugin(opts: ClaimTestOptions): { plugin: DevicePlugin; moved: () => number; runs: () => number } {
  let moved = 0;
  let runs = 0;
  const defaultClaim = (g: GraphView): SubgraphClaim[] => {
    const nodes = g.nodes.flatMap((n, i) => (["mul", "exp", "add"].includes(n.op) ? [i] : []));
    const produced = new Set(nodes.flatMap((i) => g.nodes[i]!.outputs));
    const inputs = [...new Set(nodes.flatMap((i) => g.nodes[i]!.inputs).filter((v) => !produced.has(v)))];
    const outputs = [g.nodes[nodes[nodes.length - 1]!]!.outputs[0]!];
    return [
      {
        name: "mul+exp+add",
        nodes,
        inputs,
        outputs,
        run(launch, device) {
          runs++;
          if (opts.throwInRun) throw new Error("the compiled program hit a bug");
          const env = new Map(inputs.map((name, k) => [name, launch.inputs[k]!]));
          for (const i of nodes) {
            const n = g.nodes[i]!;
            env.set(
              n.outputs[0]!,
              launchOp(
                device,
                launch.alloc as never,
                n.op,
                n.inputs.map((v) => env.get(v)!),
              ),
            );
          }
          return outputs.map((o) => env.get(o)!);
        },
      },
    ];
  };
  const plugin: DevicePlugin = {
    name: opts.name,
    halVersion: HAL_VERSION,
    kernels: cpuKernels.filter((k) => k.op !== "exp").map((k) => ({ ...k, device: opts.name })),
    claimSubgraphs: opts.claim ?? defaultClaim,
    create(): Device {
      const inner = new CpuDevice();
      return {
        info: { ...inner.info, name: opts.name, vendor: "test", halVersion: HAL_VERSION },
        capabilities: inner.capabilities,
        alloc: (b) => inner.alloc(b),
        free: (b) => inner.free(b as never),
        write: (b, d, o) => {
          moved += d.byteLength;
          inner.write(b as never, d, o);
        },
        read: (b, o, n) => {
          moved += n;
          return inner.read(b as never, o, n);
        },
        readSync: (b, o, n) => {
          moved += n;
          return inner.readSync(b as never, o, n);
        },
        launch: (k, c) => inner.launch(k as never, c as never),
        sync: () => inner.sync(),
      };
    },
  };
  return { plugin, moved: () => moved, runs: () => runs };
}

const N = 256;
/** y = relu(exp(x · w) + b): the chain mul → exp → add is claimed, relu runs op by op. */
const chain = graph({
  inputs: [info("x", ["batch", N])],
  outputs: [info("y", ["batch", N])],
  initializers: [init("w", [N], values(N, 2)), init("b", [N], values(N, 3))],
  nodes: [node("mul", ["x", "w"], "t1"), node("exp", ["t1"], "t2"), node("add", ["t2", "b"], "t3"), node("relu", ["t3"], "y")],
});
const x = { data: values(2 * N, 7), shape: [2, N] };

test("a claimed chain gives the values of unclaimed execution and runs once per session.run", async () => {
  setWarningHandler(() => {});
  const claiming = claimingPlugin({ name: "claim-values" });
  await registerPlugin(claiming.plugin);
  const reference = await createSession(chain, { device: "cpu" });
  const claimed = await createSession(chain, { device: "claim-values" });
  assert.deepEqual(
    claimed.claims?.claims.map((c) => c.claim.nodes),
    [[0, 1, 2]],
  );
  const expected = await reference.run({ x });
  const got = await claimed.run({ x });
  assert.deepEqual(Array.from(got.y!.data), Array.from(expected.y!.data));
  assert.equal(claiming.runs(), 1);
  reference.dispose();
  claimed.dispose();
});

test("intermediates of a claim never cross to the host: only its inputs and outputs are transferred", async () => {
  setWarningHandler(() => {});
  resetFallbackReport();
  const claiming = claimingPlugin({ name: "claim-moves" });
  await registerPlugin(claiming.plugin);
  const off = claimingPlugin({ name: "claim-moves-off" });
  await registerPlugin({ ...off.plugin, claimSubgraphs: undefined });
  const on = await createSession(chain, { device: "claim-moves" });
  const plain = await createSession(chain, { device: "claim-moves-off", fuse: false });
  const [beforeOn, beforeOff] = [claiming.moved(), off.moved()];
  const a = await on.run({ x });
  const b = await plain.run({ x });
  const bytes = 2 * N * 4;
  assert.equal(claiming.moved() - beforeOn, 2 * bytes, "the input goes in and the output comes back, nothing else");
  assert.ok(off.moved() - beforeOff >= 4 * bytes, `op by op, exp's input and output cross as well (${off.moved() - beforeOff} bytes)`);
  assert.deepEqual(Array.from(a.y!.data), Array.from(b.y!.data));
  assert.equal(fallbackReport().filter((r) => r.device === "claim-moves").length, 0);
  assert.equal(fallbackReport().find((r) => r.device === "claim-moves-off")?.op, "exp");
  on.dispose();
  plain.dispose();
});

test("memory a claim allocates and does not return is freed after the run", async () => {
  const claiming = claimingPlugin({ name: "claim-memory" });
  await registerPlugin(claiming.plugin);
  const session = await createSession(chain, { device: "claim-memory" });
  const live = () => memoryStats("claim-memory")[0]?.buffers ?? 0;
  const before = live();
  for (let i = 0; i < 3; i++) await session.run({ x });
  assert.equal(live(), before);
  session.dispose();
  assert.equal(live(), 0);
});

test("each accepted claim is a compile event on the profiler", async () => {
  const claiming = claimingPlugin({ name: "claim-profile" });
  await registerPlugin(claiming.plugin);
  profiler.start();
  const session = await createSession(chain, { device: "claim-profile" });
  const events: ProfileEvent[] = profiler.stop();
  const compile = events.filter((e) => e.category === "compile");
  assert.equal(compile.length, 1);
  assert.equal(compile[0]!.name, "mul+exp+add");
  assert.equal(compile[0]!.args?.ops, "mul,exp,add");
  session.dispose();
});

test("a claim whose program throws hands its nodes back: reported as run op by op on the device; the error policy refuses only what leaves it", async () => {
  const warnings: string[] = [];
  setWarningHandler((m) => warnings.push(m));
  resetFallbackReport();
  const claiming = claimingPlugin({ name: "claim-throws", throwInRun: true });
  await registerPlugin(claiming.plugin);
  const reference = await createSession(chain, { device: "cpu" });
  const session = await createSession(chain, { device: "claim-throws" });
  const got = await session.run({ x });
  assert.deepEqual(Array.from(got.y!.data), Array.from((await reference.run({ x })).y!.data));
  const rec = fallbackReport().find((r) => r.device === "claim-throws" && r.op === "claim mul+exp+add");
  assert.ok(rec, JSON.stringify(fallbackReport()));
  assert.match(rec.reason, /the compiled program hit a bug/);
  assert.equal(rec.to, "op-by-op");
  assert.ok(fallbackReport().some((r) => r.device === "claim-throws" && r.op === "exp" && r.to === "cpu"));
  assert.ok(
    warnings.some((w) => /claim mul\+exp\+add \(float32\) ran op by op on 'claim-throws': its program threw/.test(w)),
    JSON.stringify(warnings),
  );
  assert.ok(!warnings.some((w) => /claim .*falls back to cpu/.test(w)));
  setFallbackPolicy("error");
  try {
    // The claim's nodes stay on the device; only exp (no kernel there) would leave it, and that is what is refused.
    await assert.rejects(
      session.run({ x }),
      (e: Error) => e instanceof UnsupportedOpError && /exp \(float32\) cannot run on 'claim-throws': no exp kernel; CPU fallback is disabled/.test(e.message),
    );
  } finally {
    setFallbackPolicy("warn-once");
    setWarningHandler((m) => console.warn(m));
  }
  reference.dispose();
  session.dispose();
});

/** A plugin whose claim is built by `make` from the offered graph, to check what the session refuses. */
async function refuses(name: string, make: (g: GraphView) => Omit<SubgraphClaim, "run" | "name">[], pattern: RegExp): Promise<void> {
  const claiming = claimingPlugin({ name, claim: (g) => make(g).map((c) => ({ ...c, name: "bad", run: () => [] })) });
  await registerPlugin(claiming.plugin);
  const base = memoryStats(name)[0]?.buffers ?? 0;
  await assert.rejects(createSession(chain, { device: name }), (e: Error) => e instanceof DeviceError && pattern.test(e.message));
  assert.equal(memoryStats(name)[0]?.buffers ?? 0, base, "the refused session freed its initializers");
}

test("a claim that does not return a value read outside it is refused when the session is created", async () => {
  await refuses(
    "claim-bad-outputs",
    () => [{ nodes: [0, 1], inputs: ["x", "w"], outputs: [] }],
    /plugin 'claim-bad-outputs': claim 'bad' produces %t2, which is read outside the claim, but does not return it/,
  );
});

test("a claim reading a value computed after its first node, or listing inputs it does not read, is refused", async () => {
  await refuses(
    "claim-bad-order",
    () => [{ nodes: [0, 2], inputs: ["x", "w", "t2", "b"], outputs: ["t3"] }],
    /reads %t2, which is computed only after its first node \(0\)/,
  );
  await refuses("claim-bad-inputs", () => [{ nodes: [0], inputs: ["x", "w", "b"], outputs: ["t1"] }], /lists input %b, which none of its nodes reads/);
  await refuses("claim-missing-input", () => [{ nodes: [0], inputs: ["x"], outputs: ["t1"] }], /reads %w but does not list it among its inputs/);
});

test("claims that overlap, name missing nodes or list them out of order are refused", async () => {
  await refuses(
    "claim-overlap",
    () => [
      { nodes: [0], inputs: ["x", "w"], outputs: ["t1"] },
      { nodes: [0, 1], inputs: ["x", "w"], outputs: ["t2"] },
    ],
    /claims node 0, which another claim already took/,
  );
  await refuses("claim-range", () => [{ nodes: [7], inputs: [], outputs: [] }], /names node 7, but the graph has nodes 0\.\.3/);
  await refuses("claim-order", () => [{ nodes: [1, 0], inputs: ["x", "w"], outputs: ["t2"] }], /out of order/);
});

test("the offered graph carries inferred value types and the weights' host values", async () => {
  let offered: GraphView | undefined;
  const claiming = claimingPlugin({ name: "claim-view", claim: (g) => ((offered = g), []) });
  await registerPlugin(claiming.plugin);
  const session = await createSession(chain, { device: "claim-view" });
  assert.deepEqual(offered!.values.get("t2")?.shape, ["batch", N]);
  assert.equal(offered!.values.get("t2")?.dtype, "float32");
  assert.deepEqual(Array.from(offered!.constants.get("w")!).slice(0, 3), Array.from(values(N, 2)).slice(0, 3));
  assert.equal(offered!.nodes.length, 4);
  assert.equal(session.claims?.claims.length, 0);
  session.dispose();
});

test("a claimSubgraphs hook that throws fails the session with a message naming the plugin and graph", async () => {
  const claiming = claimingPlugin({
    name: "claim-hook-throws",
    claim: () => {
      throw new Error("compiler crashed");
    },
  });
  await registerPlugin(claiming.plugin);
  await assert.rejects(
    createSession(chain, { device: "claim-hook-throws" }),
    (e: Error) => e instanceof DeviceError && /plugin 'claim-hook-throws': claimSubgraphs failed on graph 'test': compiler crashed/.test(e.message),
  );
});

test("sessions created with claimSubgraphs: false run every node op by op", async () => {
  const claiming = claimingPlugin({ name: "claim-off" });
  await registerPlugin(claiming.plugin);
  setWarningHandler(() => {});
  const session = await createSession(chain, { device: "claim-off", claimSubgraphs: false });
  assert.equal(session.claims, undefined);
  await session.run({ x });
  assert.equal(claiming.runs(), 0);
  session.dispose();
  setWarningHandler((m) => console.warn(m));
});
