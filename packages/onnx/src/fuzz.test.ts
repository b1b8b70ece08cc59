import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { PolychipError } from "@polychip/hal";
import { execute, inferShapes, type Graph } from "@polychip/engine/runtime";
import { sharedCorpusPath } from "./conformance/corpus.ts";
import { importOnnx } from "./import/importer.ts";
import { decodeModel, encodeModel } from "./proto/codec.ts";
import type { AttributeProto, ModelProto } from "./proto/types.ts";

/** Override for deeper local runs: POLYCHIP_FUZZ_CASES=100000 POLYCHIP_FUZZ_SEED=7. */
const CASES = Number(process.env.POLYCHIP_FUZZ_CASES ?? 2400);
const SEED = Number(process.env.POLYCHIP_FUZZ_SEED ?? 20240601);
const corpus = sharedCorpusPath();

/** mulberry32: a small seeded generator, so every run mutates the same way. */
function generator(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]! };
}
type Rng = ReturnType<typeof generator>;

const INTERESTING = [0, 1, -1, 2, 3, -2, 7, 255, 65536, 2 ** 31 - 1, -(2 ** 31), 2 ** 40, Number.MAX_SAFE_INTEGER];

/** Byte-level damage: flips, overwrites, truncation, splices. */
function mutateBytes(bytes: Uint8Array, rng: Rng): Uint8Array {
  const out = new Uint8Array(bytes);
  switch (rng.int(5)) {
    case 0:
      for (let k = 1 + rng.int(8); k > 0; k--) out[rng.int(out.length)]! ^= 1 << rng.int(8);
      return out;
    case 1:
      for (let k = 1 + rng.int(4); k > 0; k--) out[rng.int(out.length)] = rng.pick([0, 0xff, 0x7f, 0x80, rng.int(256)]);
      return out;
    case 2:
      return out.subarray(0, rng.int(out.length));
    case 3: {
      const at = rng.int(out.length);
      const len = rng.int(Math.min(32, out.length - at) + 1);
      return new Uint8Array([...out.subarray(0, at), ...out.subarray(at + len)]);
    }
    default: {
      const at = rng.int(out.length);
      const chunk = out.subarray(rng.int(out.length)).subarray(0, 1 + rng.int(16));
      return new Uint8Array([...out.subarray(0, at), ...chunk, ...out.subarray(at)]);
    }
  }
}

/** Structure-level damage: well-formed protobuf with values the importer must reject or survive. */
function mutateModel(model: ModelProto, rng: Rng): ModelProto {
  const m = structuredClone(model) as ModelProto;
  const g = m.graph!;
  const nodes = g.node ?? [];
  const node = nodes.length > 0 ? rng.pick(nodes) : undefined;
  const attrs: AttributeProto[] = node?.attribute ?? [];
  switch (rng.int(9)) {
    case 0:
      if (attrs.length > 0) {
        const a = rng.pick(attrs);
        if (a.ints && a.ints.length > 0) a.ints[rng.int(a.ints.length)] = rng.pick(INTERESTING);
        else a.i = rng.pick(INTERESTING);
      }
      break;
    case 1:
      if (node) node.opType = rng.pick(["Conv", "Reshape", "Slice", "Resize", "TopK", "Split", "Gemm", "Pad", "Unknown", ""]);
      break;
    case 2:
      if (node && node.input && node.input.length > 0) node.input[rng.int(node.input.length)] = rng.pick(["", "missing", node.output?.[0] ?? ""]);
      break;
    case 3: {
      const v = rng.pick([...(g.input ?? []), ...(g.output ?? [])]);
      const dims = v?.type?.tensorType?.shape?.dim;
      if (dims && dims.length > 0) dims[rng.int(dims.length)] = { dimValue: rng.pick(INTERESTING) };
      else if (v?.type?.tensorType) v.type.tensorType.elemType = rng.int(20);
      break;
    }
    case 4:
      m.opsetImport = [{ domain: "", version: rng.pick([1, 6, 7, 9, 10, 11, 12, 13, 18, 25, 99]) }];
      break;
    case 5: {
      const t = rng.pick(g.initializer && g.initializer.length > 0 ? g.initializer : [{}]);
      if (t.dims && t.dims.length > 0) t.dims[rng.int(t.dims.length)] = rng.pick(INTERESTING);
      else t.dataType = rng.int(24);
      break;
    }
    case 6:
      if (node) node.output = rng.pick([[], [...(node.output ?? []), "extra"], [""]]);
      break;
    case 7:
      if (attrs.length > 0) rng.pick(attrs).type = rng.int(16);
      else if (node) node.attribute = [{ name: rng.pick(["axis", "axes", "perm", "pads", "mode"]), type: 7, ints: [rng.pick(INTERESTING)] }];
      break;
    default:
      if (nodes.length > 1) g.node = [...nodes].reverse();
      else if (node) node.domain = "com.example";
  }
  return m;
}

/** Runs a graph that imported when its values are small, with zero-filled inputs. */
async function tryRun(graph: Graph): Promise<void> {
  if (graph.inputs.some((v) => v.shape.some((d) => typeof d !== "number"))) return;
  const shapes = inferShapes(graph);
  const largest = Math.max(0, ...[...shapes.values()].map((v) => v.shape.reduce<number>((p, d) => p * (typeof d === "number" ? d : Infinity), 1)));
  if (!(largest <= 1 << 16)) return;
  const inputs = Object.fromEntries(
    graph.inputs.map((v) => [v.name, { data: new Array((v.shape as number[]).reduce((p, d) => p * d, 1)).fill(0), shape: v.shape as number[] }]),
  );
  await execute(graph, inputs, { device: "cpu" });
}

test(`fuzz: ${CASES} seeded mutations of the shared models give a graph or a typed error, never a crash or hang`, {
  skip: corpus ? false : "../shared/conformance/onnx-node is not present",
  timeout: Math.max(60_000, CASES * 25),
}, async () => {
  const models = readdirSync(corpus!)
    .sort()
    .map((d) => readFileSync(join(corpus!, d, "model.onnx")));
  const decoded = models.map((b) => decodeModel(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
  const rng = generator(SEED);
  const outcomes = new Map<string, number>();
  const started = performance.now();
  for (let k = 0; k < CASES; k++) {
    const i = rng.int(models.length);
    const bytes = k % 2 === 0 ? mutateBytes(new Uint8Array(models[i]!), rng) : encodeModel(mutateModel(decoded[i]!, rng));
    let outcome = "imported";
    try {
      const graph = importOnnx(bytes);
      try {
        await tryRun(graph);
        outcome = "ran";
      } catch (err) {
        if (!(err instanceof PolychipError)) throw err;
        outcome = `run ${err.name}`;
      }
    } catch (err) {
      if (!(err instanceof PolychipError)) assert.fail(`case ${k} (model #${i}): untyped ${(err as Error)?.stack ?? err}`);
      if (!outcome.startsWith("run")) outcome = err.name;
    }
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `# fuzz: ${CASES} cases in ${seconds.toFixed(1)} s: ${[...outcomes]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
  );
  if (CASES <= 2400) assert.ok(seconds < 60, `fuzzing took ${seconds} s`);
});
