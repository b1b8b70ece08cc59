import assert from "node:assert/strict";
import { test } from "node:test";
import { FormatError, PolychipError, ShapeError, UnsupportedOpError } from "@polychip/hal";
import { execute } from "../runtime/session.ts";
import { graph, info, init, node, values } from "../graph/testing.ts";
import type { Graph } from "../graph/ir.ts";
import { writeContainer } from "./container.ts";
import { crc32 } from "./crc32.ts";
import { MODEL_MAGIC, MODEL_VERSION, parseModel, serializeModel } from "./model-file.ts";

const sample: Graph = graph({
  name: "sample",
  inputs: [info("x", ["batch", 1, 4, 4])],
  outputs: [info("y", ["batch", 2])],
  initializers: [
    init("w", [2, 1, 3, 3], values(18)),
    init("b", [2], [0.5, -0.5]),
    init("half", [2], [0.333251953125, 2], "float16"),
    init("target", [2], [0, -1], "int32"),
    init("flags", [2], [1, 0], "bool"),
  ],
  nodes: [
    node("pad", ["x"], "p", { pads: [0, 0, 1, 1, 0, 0, 1, 1], mode: "constant", value: -Infinity }),
    node("maxPool2d", ["p"], "m", { kernel: [3, 3], strides: [1, 1] }),
    node("conv2d", ["m", "w", "b"], "c", { pads: [1, 1, 1, 1] }),
    node("reduceMax", ["c"], "r", { axes: [2, 3], keepDims: false }),
    node("reshape", ["r", "target"], "s"),
    node("cast", ["half"], "halfAsFloat", { to: "float32" }),
    node("mul", ["s", "halfAsFloat"], "y"),
  ],
  metadata: { producer: "test", accuracy: "0.9" },
});

test("a model survives serialize → parse: graph, attributes (with -Infinity), every dtype, metadata, results", async () => {
  const bytes = serializeModel(sample);
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 4)), "PCMF");
  const back = parseModel(bytes);
  assert.deepEqual(back.nodes, sample.nodes);
  assert.deepEqual(back.inputs, sample.inputs);
  assert.deepEqual(back.metadata, sample.metadata);
  for (const [i, init] of sample.initializers.entries()) {
    assert.equal(back.initializers[i]!.dtype, init.dtype);
    assert.deepEqual(Array.from(back.initializers[i]!.data), Array.from(init.data));
  }
  const x = { x: { data: values(32, 5), shape: [2, 1, 4, 4] } };
  assert.deepEqual(Array.from((await execute(back, x)).y!.data), Array.from((await execute(sample, x)).y!.data));
});

/** Rewrites the header JSON and seals the file again with valid checksums, to reach the checks behind them. */
function withHeader(edit: (header: any) => void, blobs?: Uint8Array[]): Uint8Array {
  const bytes = serializeModel(sample);
  const dv = new DataView(bytes.buffer);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(20, 20 + dv.getUint32(8, true))));
  const payloadStart = Math.ceil((20 + dv.getUint32(8, true)) / 64) * 64;
  const original = header.blobs.map((b: { offset: number; bytes: number }) => bytes.slice(payloadStart + b.offset, payloadStart + b.offset + b.bytes));
  delete header.blobs;
  edit(header);
  return writeContainer(MODEL_MAGIC, MODEL_VERSION, header, blobs ?? original).bytes;
}

const isFormatError = (pattern: RegExp) => (e: Error) => e instanceof FormatError && pattern.test(e.message);

test("truncated, bit-flipped and random files are FormatErrors", () => {
  const bytes = serializeModel(sample);
  assert.throws(() => parseModel(bytes.subarray(0, 10)), isFormatError(/too short/));
  assert.throws(() => parseModel(bytes.subarray(0, bytes.length - 7)), isFormatError(/checksum|truncated/));
  const flipped = bytes.slice();
  flipped[bytes.length - 100]! ^= 0x10;
  assert.throws(() => parseModel(flipped), isFormatError(/payload checksum mismatch/));
  const header = bytes.slice();
  header[30]! ^= 0x01;
  assert.throws(() => parseModel(header), isFormatError(/header checksum mismatch/));
  assert.throws(() => parseModel(Uint8Array.from(values(300), (v) => (v + 1) * 127)), isFormatError(/not a PCMF file/));
});

test("a newer format version is refused with a message saying so", () => {
  const bytes = serializeModel(sample);
  new DataView(bytes.buffer).setUint32(4, MODEL_VERSION + 1, true);
  assert.throws(() => parseModel(bytes), isFormatError(/format version 2 is newer than this reader supports \(1\)/));
});

test("a header that does not describe its blobs is a FormatError", () => {
  assert.throws(
    () => parseModel(withHeader((h) => h.initializers.push({ name: "ghost", dtype: "float32", shape: [3] }))),
    isFormatError(/6 initializers but only 5 blobs/),
  );
  assert.throws(
    () => parseModel(withHeader((h) => (h.initializers[0].shape = [2, 1, 3, 4]))),
    isFormatError(/initializer 'w' \(float32\[2, 1, 3, 4\]\) needs 96 bytes, its blob holds 72/),
  );
  assert.throws(() => parseModel(withHeader((h) => (h.initializers[1].dtype = "float64"))), isFormatError(/initializer 1 needs a name, a dtype and a shape/));
  assert.throws(() => parseModel(withHeader((h) => (h.graph.nodes[2].inputs = ["m", "nowhere"]))), isFormatError(/reads %nowhere before anything defines it/));
  assert.throws(() => parseModel(withHeader((h) => (h.graph.nodes[0].attrs.value = { $f: "lots" }))), isFormatError(/attribute 'value' holds/));
  assert.throws(() => parseModel(withHeader((h) => delete h.graph)), isFormatError(/no graph/));
});

test("an unknown op is an UnsupportedOpError at load; shapes that do not fit are a ShapeError at load", () => {
  assert.throws(
    () => parseModel(withHeader((h) => (h.graph.nodes[3].op = "reduceMagic"))),
    (e: Error) => e instanceof UnsupportedOpError && /reduceMagic/.test(e.message),
  );
  assert.throws(
    () => parseModel(withHeader((h) => (h.graph.inputs[0].shape = ["batch", 2, 4, 4]))),
    (e: Error) => e instanceof ShapeError && /node 2 \(conv2d/.test(e.message),
  );
});

/** A small deterministic generator for the fuzz cases. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return s / 2 ** 32;
  };
}

const ALLOWED = [FormatError, UnsupportedOpError, ShapeError];

test("fuzz-lite: 1,000 seeded mutations of a saved model raise only FormatError / UnsupportedOpError / ShapeError", () => {
  const bytes = serializeModel(sample);
  const started = performance.now();
  const outcomes = new Map<string, number>();
  const headerLength = new DataView(bytes.buffer).getUint32(8, true);
  const headerText = new TextDecoder().decode(bytes.subarray(20, 20 + headerLength));
  for (let seed = 1; seed <= 1000; seed++) {
    const r = rng(seed);
    const pick = (n: number) => Math.floor(r() * n);
    let mutated: Uint8Array;
    const kind = seed % 5;
    if (kind === 0) {
      mutated = bytes.subarray(0, pick(bytes.length)); // truncation
    } else if (kind === 1) {
      mutated = bytes.slice(); // raw bit flips (checksums catch them)
      for (let k = 0; k <= pick(4); k++) mutated[pick(mutated.length)]! ^= 1 << pick(8);
    } else if (kind === 2) {
      mutated = Uint8Array.from({ length: pick(400) }, () => pick(256)); // random bytes, sometimes with the magic
      if (r() < 0.5 && mutated.length >= 4) mutated.set(bytes.subarray(0, 20).subarray(0, Math.min(20, mutated.length)));
    } else if (kind === 3) {
      // Structured header edits re-sealed with valid checksums: valid JSON that says something wrong.
      const header = JSON.parse(headerText);
      for (let k = 0; k <= pick(2); k++) mutateJson(header, r);
      mutated = reseal(bytes, new TextEncoder().encode(JSON.stringify(header)), headerLength);
    } else {
      // Header edits re-sealed with valid checksums: characters swapped, so the JSON (or what it says) is wrong.
      const chars = [...headerText];
      for (let k = 0; k <= pick(3); k++) chars[pick(chars.length)] = `0123456789-",:[]{}aeltx .${"\u00e9"}`[pick(27)]!;
      mutated = reseal(bytes, new TextEncoder().encode(chars.join("")), headerLength);
    }
    try {
      parseModel(mutated);
      outcomes.set("accepted", (outcomes.get("accepted") ?? 0) + 1);
    } catch (err) {
      assert.ok(
        ALLOWED.some((E) => err instanceof E),
        `seed ${seed}: ${(err as Error)?.name}: ${(err as Error)?.message}`,
      );
      outcomes.set((err as PolychipError).name, (outcomes.get((err as PolychipError).name) ?? 0) + 1);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`fuzz-lite: 1000 mutations in ${seconds.toFixed(2)}s: ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(", ")}`);
  assert.ok(seconds < 20);
});

const PALETTE: unknown[] = [
  -1,
  0,
  1,
  3,
  1e9,
  2.5,
  "batch",
  "",
  "x",
  "c",
  null,
  true,
  [],
  {},
  [1, 2],
  [-1],
  "float16",
  "int32",
  "relu",
  "conv2d",
  { $f: "NaN" },
];

/** Replaces, or deletes, one randomly chosen value anywhere in the header. */
function mutateJson(root: any, r: () => number): void {
  let parent = root;
  let key: string | number = Object.keys(root)[Math.floor(r() * Object.keys(root).length)]!;
  while (typeof parent[key] === "object" && parent[key] !== null && r() < 0.8) {
    const child: any = parent[key];
    const keys = Object.keys(child);
    if (keys.length === 0) break;
    parent = child;
    key = Array.isArray(child) ? Math.floor(r() * child.length) : keys[Math.floor(r() * keys.length)]!;
  }
  if (r() < 0.15) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  } else parent[key] = structuredClone(PALETTE[Math.floor(r() * PALETTE.length)]);
}

/** The same file with another header (any length), checksums recomputed. */
function reseal(original: Uint8Array, header: Uint8Array, oldHeaderLength: number): Uint8Array {
  const oldPayload = original.subarray(Math.ceil((20 + oldHeaderLength) / 64) * 64);
  const start = Math.ceil((20 + header.length) / 64) * 64;
  const out = new Uint8Array(start + oldPayload.length);
  out.set(original.subarray(0, 20));
  out.set(header, 20);
  out.set(oldPayload, start);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, header.length, true);
  dv.setUint32(12, crc32(header), true);
  dv.setUint32(16, crc32(oldPayload), true);
  return out;
}
