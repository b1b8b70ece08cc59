import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { execute } from "@polychip/engine/runtime";
import { sharedCorpusPath } from "../conformance/corpus.ts";
import { importModelProto, importOnnx } from "../import/importer.ts";
import { decodeModel, decodeTensorProto } from "../proto/codec.ts";
import { tensorFromProto, type HostTensor } from "../tensor.ts";
import { exportOnnx } from "./exporter.ts";

const corpus = sharedCorpusPath();

test("import(export(g)) is bit-identical to g on cpu for every model of the shared corpus that imports", {
  skip: corpus ? false : "../shared/conformance/onnx-node is not present",
}, async () => {
  let checked = 0;
  for (const name of readdirSync(corpus!).sort()) {
    const dir = join(corpus!, name);
    const model = decodeModel(new Uint8Array(readFileSync(join(dir, "model.onnx"))));
    const inits = new Set((model.graph?.initializer ?? []).map((t) => t.name));
    const inputNames = (model.graph?.input ?? []).map((v) => v.name!).filter((n) => !inits.has(n));
    const data = new Map<string, HostTensor>(
      inputNames.map((n, i) => [
        n,
        tensorFromProto(decodeTensorProto(new Uint8Array(readFileSync(join(dir, "test_data_set_0", `input_${i}.pb`)))), n, { clampInt: true }),
      ]),
    );
    let graph;
    try {
      graph = importModelProto(model, { resolveInput: (n) => data.get(n) }).graph;
    } catch {
      continue; // listed in the expectations file
    }
    const feeds = Object.fromEntries(graph.inputs.map((v) => [v.name, data.get(v.name)!]));
    const a = await execute(graph, feeds);
    const b = await execute(importOnnx(exportOnnx(graph)), feeds);
    for (const out of graph.outputs) {
      const x = a[out.name]!.data;
      const y = b[out.name]!.data;
      assert.equal(y.length, x.length, `${name}: ${out.name} length`);
      for (let i = 0; i < x.length; i++) {
        assert.ok(Object.is(x[i], y[i]) || (Number.isNaN(x[i]) && Number.isNaN(y[i])), `${name}: ${out.name}[${i}] ${x[i]} vs ${y[i]}`);
      }
    }
    checked++;
  }
  assert.ok(checked >= 440, `only ${checked} models round-tripped`);
});
