/**
 * Lays out burn-onnx's test models (github.com/tracel-ai/burn-onnx, crates/onnx-tests/tests: about
 * 470 small models, each written by a PyTorch or onnx-helper script) as ONNX test folders in
 * conformance/burn-onnx-cases. burn checks them against values in its Rust tests; here each gets
 * seeded random inputs (floats in [-2, 2), integers in {0, 1, 2}, booleans, 3 for every dynamic
 * dim) and onnxruntime-node's outputs as the expected ones. Left out, with the reason printed:
 * models onnxruntime refuses (for these inputs or at all), models whose outputs are random
 * (Random*, Bernoulli, Multinomial, Dropout in training mode), input types other than these, and
 * inputs of more than MAX_INPUT_ELEMENTS elements.
 * Run: node --import tsx scripts/import-burn-onnx-cases.ts <burn-onnx>/crates/onnx-tests/tests
 */
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import * as ort from "onnxruntime-node";
import { decodeModel, toNumber } from "../src/proto/codec.ts";
import type { GraphProto, NodeProto, ValueInfoProto } from "../src/proto/types.ts";
import { onnxruntimeOutputs, writeTestFolder } from "./ort-test-folders.ts";

const source = process.argv[2];
if (!source) throw new Error("usage: import-burn-onnx-cases.ts <burn-onnx>/crates/onnx-tests/tests");
const target = new URL("../conformance/burn-onnx-cases", import.meta.url).pathname;
/** Inputs are committed: a model whose declared inputs hold more elements is left out. */
const MAX_INPUT_ELEMENTS = 200_000;
const RANDOM_OPS = new Set(["RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Bernoulli", "Multinomial"]);

/** xorshift32: the same inputs on every run of the script. */
let state = 0x9e3779b9;
function next(): number {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 2 ** 32;
}

function modelFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((e) => {
      const p = join(dir, e);
      return statSync(p).isDirectory() ? modelFiles(p) : p.endsWith(".onnx") ? [p] : [];
    });
}

function nodesOf(g: GraphProto | undefined): NodeProto[] {
  return (g?.node ?? []).flatMap((n) => [
    n,
    ...(n.attribute ?? []).flatMap((a) => [...nodesOf(a.g ?? undefined), ...(a.graphs ?? []).flatMap((s) => nodesOf(s))]),
  ]);
}

const isRandom = (n: NodeProto) => RANDOM_OPS.has(n.opType ?? "") || (n.opType === "Dropout" && (n.input?.[2] ?? "") !== "");

function randomInput(v: ValueInfoProto): ort.Tensor | string {
  const t = v.type?.tensorType;
  if (!t) return `input '${v.name}' is not a tensor`;
  const shape = (t.shape?.dim ?? []).map((d) => (d.value === "dimValue" && toNumber(d.dimValue) >= 0 ? toNumber(d.dimValue) : 3));
  const n = shape.reduce((a, b) => a * b, 1);
  const floats = () => Array.from({ length: n }, () => Math.round((next() * 4 - 2) * 1e4) / 1e4);
  const ints = () => Array.from({ length: n }, () => Math.floor(next() * 3));
  switch (t.elemType) {
    case 1:
      return new ort.Tensor("float32", Float32Array.from(floats()), shape);
    case 11:
      return new ort.Tensor("float64", Float64Array.from(floats()), shape);
    case 6:
      return new ort.Tensor("int32", Int32Array.from(ints()), shape);
    case 7:
      return new ort.Tensor(
        "int64",
        BigInt64Array.from(ints(), (x) => BigInt(x)),
        shape,
      );
    case 2:
      return new ort.Tensor("uint8", Uint8Array.from(ints()), shape);
    case 3:
      return new ort.Tensor("int8", Int8Array.from(ints()), shape);
    case 9:
      return new ort.Tensor(
        "bool",
        Uint8Array.from(ints(), (x) => (x === 0 ? 0 : 1)),
        shape,
      );
    default:
      return `input '${v.name}' has element type ${t.elemType}`;
  }
}

// Only the test folders are rewritten: the README beside them stays.
if (existsSync(target)) for (const e of readdirSync(target)) if (e.startsWith("test_")) rmSync(join(target, e), { recursive: true });
let written = 0;
for (const file of modelFiles(source)) {
  const name = relative(source, file).replace(/\.onnx$/, "");
  const model = new Uint8Array(readFileSync(file));
  const graph = decodeModel(model).graph!;
  if (nodesOf(graph).some(isRandom)) {
    console.log(`${name}: left out (random outputs)`);
    continue;
  }
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const declared = (graph.input ?? []).filter((v) => !initializers.has(v.name));
  const feeds = declared.map((v) => [v.name!, randomInput(v)] as const);
  const bad = feeds.find(([, t]) => typeof t === "string");
  if (bad) {
    console.log(`${name}: left out (${bad[1]})`);
    continue;
  }
  const inputs = feeds as readonly (readonly [string, ort.Tensor])[];
  const elements = inputs.reduce((sum, [, t]) => sum + t.size, 0);
  if (elements > MAX_INPUT_ELEMENTS) {
    console.log(`${name}: left out (${elements} input elements: too large to commit)`);
    continue;
  }
  const ran = await onnxruntimeOutputs(model, Object.fromEntries(inputs));
  if ("refused" in ran) {
    console.log(`${name}: left out (onnxruntime refuses it: ${ran.refused.slice(0, 160)})`);
    continue;
  }
  writeTestFolder(
    join(target, `test_burn_${name.replace(/[^A-Za-z0-9_]/g, "_")}`),
    model,
    inputs.map(([n, t]) => [n, t]),
    ran.names.map((n) => [n, ran.outputs[n]!]),
  );
  written++;
}
console.log(`${written} test folders written to ${target}`);
