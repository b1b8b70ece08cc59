/**
 * Lays out tract's ONNX test cases (github.com/sonos/tract, folder onnx/test_cases: a model.onnx and
 * an io.npz of inputs and expected outputs each) as ONNX test folders in conformance/tract-cases:
 * model.onnx unchanged, test_data_set_0/input_N.pb from io.npz, output_N.pb from onnxruntime-node for
 * every graph output (the npz lacks some, e.g. a classifier's label). Where io.npz has an output,
 * onnxruntime's must agree with it, else the case is left out with the reason printed; tract's
 * "pulsed" Kaldi cases (left/right context in vars.sh) compute another thing and are left out.
 * Needs /usr/bin/python3 with numpy to read the npz.
 * Run: node --import tsx scripts/import-tract-cases.ts <tract checkout>/onnx/test_cases
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { decodeModel } from "../src/proto/codec.ts";
import { onnxruntimeOutputs, writeTestFolder } from "./ort-test-folders.ts";

const source = process.argv[2];
if (!source) throw new Error("usage: import-tract-cases.ts <tract>/onnx/test_cases");
const target = new URL("../conformance/tract-cases", import.meta.url).pathname;

type Npz = Record<string, { dtype: string; shape: number[]; data: number[] }>;
const readNpz = (path: string): Npz =>
  JSON.parse(
    execFileSync(
      "python3",
      [
        "-c",
        "import json,sys,numpy as np; z=np.load(sys.argv[1]); print(json.dumps({k:{'dtype':z[k].dtype.name,'shape':list(z[k].shape),'data':z[k].astype(np.float64).ravel().tolist()} for k in z.files}))",
        path,
      ],
      { encoding: "utf8", maxBuffer: 1 << 28 },
    ),
  );

function ortTensor(t: Npz[string]): ort.Tensor {
  if (t.dtype === "float32") return new ort.Tensor("float32", Float32Array.from(t.data), t.shape);
  if (t.dtype === "uint8") return new ort.Tensor("uint8", Uint8Array.from(t.data), t.shape);
  if (t.dtype === "int64")
    return new ort.Tensor(
      "int64",
      BigInt64Array.from(t.data, (v) => BigInt(v)),
      t.shape,
    );
  throw new Error(`npz dtype ${t.dtype} not handled`);
}

// Only the test folders are rewritten: the README beside them stays.
if (existsSync(target)) for (const e of readdirSync(target)) if (e.startsWith("test_")) rmSync(join(target, e), { recursive: true });
for (const name of readdirSync(source).sort()) {
  const dir = join(source, name);
  if (!existsSync(join(dir, "model.onnx")) || !existsSync(join(dir, "io.npz"))) continue;
  const vars = existsSync(join(dir, "vars.sh")) ? readFileSync(join(dir, "vars.sh"), "utf8") : "";
  if (/left_context=[1-9]|right_context=[1-9]/.test(vars)) {
    console.log(`${name}: left out (tract's pulsed context: its expected output is not the model's)`);
    continue;
  }
  const model = readFileSync(join(dir, "model.onnx"));
  const graph = decodeModel(new Uint8Array(model)).graph!;
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).map((v) => v.name!).filter((n) => !initializers.has(n));
  const io = readNpz(join(dir, "io.npz"));
  const feeds = inputs.map((n) => [n, ortTensor(io[n]!)] as [string, ort.Tensor]);
  const ran = await onnxruntimeOutputs(new Uint8Array(model), Object.fromEntries(feeds));
  if ("refused" in ran) {
    console.log(`${name}: left out (onnxruntime refuses it: ${ran.refused})`);
    continue;
  }
  // The npz names outputs by graph name, or (one output) by the exporter's node name.
  const others = Object.keys(io).filter((k) => !inputs.includes(k));
  const mismatch = ran.names.flatMap((out) => {
    const want = io[out] ?? (ran.names.length === 1 && others.length === 1 ? io[others[0]!] : undefined);
    if (!want) return [];
    const got = Array.from(ran.outputs[out]!.data as ArrayLike<number | bigint>, Number);
    const worst = want.data.reduce((m, v, i) => Math.max(m, Math.abs(got[i]! - v) / (1e-4 + 1e-3 * Math.abs(v))), 0);
    return got.length !== want.data.length || worst > 1 ? [`${out}: onnxruntime differs from io.npz`] : [];
  });
  if (mismatch.length > 0) {
    console.log(`${name}: left out (${mismatch.join("; ")})`);
    continue;
  }
  const folder = join(target, `test_tract_${name.replace(/[^A-Za-z0-9_]/g, "_")}`);
  writeTestFolder(
    folder,
    new Uint8Array(model),
    feeds,
    ran.names.map((n) => [n, ran.outputs[n]!]),
  );
  console.log(`${name}: written (${inputs.length} inputs, ${ran.names.length} outputs)`);
}
