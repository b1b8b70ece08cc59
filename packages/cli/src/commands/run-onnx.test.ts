import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { PolychipError } from "@polychip/engine/runtime";
import { OnnxSession } from "@polychip/onnx";
import { runCommand } from "./run.ts";

/** @polychip/onnx's committed dynamic-H/W model (stride-2 conv, a 2× Resize, GlobalAveragePool, a Shape chain). */
const DYNAMIC_HW = new URL("../../../onnx/fixtures/dynamic-hw.onnx", import.meta.url);

const pixels = (n: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) + 0.1 * Math.cos(i));

async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "polychip-run-onnx-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("run takes an ONNX model with dynamic height/width at two input sizes, as OnnxSession computes them", async () => {
  await inTempDir(async (dir) => {
    const reference = await OnnxSession.create(new Uint8Array(await readFile(DYNAMIC_HW)), { device: "cpu" });
    try {
      for (const shape of [
        [1, 3, 10, 14],
        [1, 3, 7, 9],
      ]) {
        const data = pixels(shape.reduce((a, b) => a * b, 1));
        const input = join(dir, `x-${shape.join("x")}.json`);
        await writeFile(input, JSON.stringify({ x: { shape, data } }));
        const result = await runCommand({ model: DYNAMIC_HW.pathname, device: "cpu", input, json: true });
        const want = await reference.run({ x: { shape, data: Float32Array.from(data) } });
        const half = (n: number) => Math.ceil(n / 2);
        assert.deepEqual(
          result.outputs.up!.shape,
          [1, 4, 2 * half(shape[2]!), 2 * half(shape[3]!)],
          "the stride-2 conv then the 2× Resize follow the input's H and W",
        );
        assert.deepEqual(result.outputs.y!.shape, [1, 4]);
        for (const name of ["y", "up"]) assert.deepEqual(result.outputs[name]!.data, Array.from(want[name]!.data), `${name} at [${shape}]`);
      }
    } finally {
      reference.dispose();
    }
  });
});

test("run refuses an input the ONNX model's declaration does not allow, naming the input", async () => {
  await inTempDir(async (dir) => {
    const input = join(dir, "flat.json");
    await writeFile(input, JSON.stringify({ x: { shape: [3, 10], data: pixels(30) } }));
    await assert.rejects(
      runCommand({ model: DYNAMIC_HW.pathname, device: "cpu", input, json: true }),
      (e: Error) => e instanceof PolychipError && /'x'/.test(e.message),
    );
  });
});

/** @polychip/onnx's PyTorch-exported text encoder (int64 input_ids and attention_mask, dynamic batch and length). */
const ENCODER = new URL("../../../onnx/fixtures/pytorch/encoder-opset17.onnx", import.meta.url);

test("run takes int64 inputs written as an ONNX user writes them, and refuses one past int32", async () => {
  await inTempDir(async (dir) => {
    const ids = [5, 17, 42, 8, 99];
    const mask = [1, 1, 1, 1, 0];
    const input = join(dir, "tokens.json");
    await writeFile(
      input,
      JSON.stringify({ input_ids: { shape: [1, 5], data: ids, dtype: "int64" }, attention_mask: { shape: [1, 5], data: mask, dtype: "int64" } }),
    );
    const result = await runCommand({ model: ENCODER.pathname, device: "cpu", input, json: true });
    const reference = await OnnxSession.create(new Uint8Array(await readFile(ENCODER)), { device: "cpu" });
    try {
      const want = await reference.run({
        input_ids: { shape: [1, 5], data: Int32Array.from(ids) },
        attention_mask: { shape: [1, 5], data: Int32Array.from(mask) },
      });
      assert.deepEqual(result.outputs.embedding!.shape, [1, 64]);
      assert.deepEqual(result.outputs.embedding!.data, Array.from(want.embedding!.data));
    } finally {
      reference.dispose();
    }
    await writeFile(
      input,
      JSON.stringify({
        input_ids: { shape: [1, 5], data: [...ids.slice(0, 4), 2 ** 40], dtype: "int64" },
        attention_mask: { shape: [1, 5], data: mask, dtype: "int64" },
      }),
    );
    await assert.rejects(
      runCommand({ model: ENCODER.pathname, device: "cpu", input, json: true }),
      (e: Error) => e instanceof PolychipError && /input 'input_ids'.*does not fit in int32/.test(e.message),
    );
  });
});

const LISTS = new URL("../../../onnx/fixtures/pytorch/lists.onnx", import.meta.url);
const SEQUENCE_INSERT = new URL("../../../onnx/conformance/extra-node/test_sequence_insert_at_back/model.onnx", import.meta.url);

test("run prints a sequence output element by element ('parts[0]', 'parts[1]', ...)", async () => {
  await inTempDir(async (dir) => {
    const input = join(dir, "x.json");
    const data = pixels(5 * 4);
    await writeFile(input, JSON.stringify({ x: { shape: [5, 4], data } }));
    const result = await runCommand({ model: LISTS.pathname, device: "cpu", input, json: true });
    // torch.split(x, 2): three parts of 2, 2 and 1 rows, which `y` concatenates back.
    assert.deepEqual(
      ["parts[0]", "parts[1]", "parts[2]"].map((n) => result.outputs[n]!.shape),
      [
        [2, 4],
        [2, 4],
        [1, 4],
      ],
    );
    assert.equal(result.outputs["parts[3]"], undefined);
    const y = result.outputs.y!.data!;
    assert.deepEqual(
      [0, 1, 2].flatMap((i) => result.outputs[`parts[${i}]`]!.data as number[]),
      y,
    );
  });
});

test("run takes a sequence input as a JSON array of tensors", async () => {
  await inTempDir(async (dir) => {
    const input = join(dir, "seq.json");
    await writeFile(
      input,
      JSON.stringify({
        sequence: [
          { shape: [3], data: [1, 2, 3], dtype: "int64" },
          { shape: [2], data: [4, 5], dtype: "int64" },
        ],
        tensor: { shape: [3], data: [7, 8, 9], dtype: "int64" },
      }),
    );
    const result = await runCommand({ model: SEQUENCE_INSERT.pathname, device: "cpu", input, json: true });
    assert.deepEqual(
      [0, 1, 2].map((i) => result.outputs[`output_sequence[${i}]`]!.data),
      [
        [1, 2, 3],
        [4, 5],
        [7, 8, 9],
      ],
    );
  });
});

const STRING_NORMALIZER = new URL("../../../onnx/conformance/extra-node/test_strnormalizer_export_monday_casesensintive_upper/model.onnx", import.meta.url);

test('run takes a string input (dtype "string") and returns a string output', async () => {
  await inTempDir(async (dir) => {
    const input = join(dir, "words.json");
    await writeFile(input, JSON.stringify({ x: { shape: [4], data: ["monday", "tuesday", "wednesday", "thursday"], dtype: "string" } }));
    const result = await runCommand({ model: STRING_NORMALIZER.pathname, device: "cpu", input, json: true });
    // The stopword "monday" is dropped, the rest upper-cased.
    assert.deepEqual(result.outputs.y, { dtype: "string", shape: [3], data: ["TUESDAY", "WEDNESDAY", "THURSDAY"] });
    await writeFile(input, JSON.stringify({ x: { shape: [2], data: ["monday", 3], dtype: "string" } }));
    await assert.rejects(
      runCommand({ model: STRING_NORMALIZER.pathname, device: "cpu", input, json: true }),
      /input 'x' has dtype "string" but data that is not a string/,
    );
  });
});
