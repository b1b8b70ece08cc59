import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { DTypeError, UnsupportedOpError } from "@polychip/hal";
import { OnnxSession, type OnnxResult } from "../session.ts";
import { buildModel, initializer, type NodeSpec } from "../testing/model-builder.ts";
import { ort } from "../testing/onnxruntime.ts";

/**
 * STRING tensors against onnxruntime-node: the string ops on UTF-8 text, empty strings, stopwords
 * and case rules, a string stage feeding a numeric one; and the refusals that name the node.
 */
const skip = ort ? false : "onnxruntime-node is not installed";
const STRING = 8;
const ML = "ai.onnx.ml";
/** onnxruntime builds a C++ locale from this name; the en_US default needs a language pack this machine may lack. */
const LOCALE = "C.UTF-8";

type Value = { shape: readonly number[]; data: ArrayLike<unknown> };

interface Case {
  nodes: NodeSpec[];
  input: { shape: number[]; data: string[] };
  outputs: { name: string; type: number | "float32" | "int64" | "bool" }[];
  initializers?: ReturnType<typeof initializer>[];
  opset?: number;
}

function model({ nodes, input, outputs, initializers = [], opset = 20 }: Case): Uint8Array {
  return buildModel({ opset, domains: { [ML]: 4 }, inputs: [{ name: "X", type: STRING, shape: input.shape }], outputs, nodes, initializers });
}

/** Runs the model in Polychip (runValues) and onnxruntime and compares every output exactly (numbers within 1e-5). */
async function expectLikeOrt(c: Case, device = "cpu"): Promise<Record<string, OnnxResult>> {
  const bytes = model(c);
  const session = await OnnxSession.create(bytes, { device });
  let got: Record<string, OnnxResult>;
  try {
    got = await session.runValues({ X: { shape: c.input.shape, data: c.input.data } });
  } finally {
    session.dispose();
  }
  const oracle = await ort!.InferenceSession.create(bytes);
  try {
    const want = await oracle.run({ X: new ort!.Tensor("string", c.input.data, c.input.shape) });
    for (const { name } of c.outputs) {
      const g = got[name] as Value;
      const w = want[name]!;
      assert.deepEqual([...g.shape], [...w.dims], `output '${name}' shape`);
      const expected = Array.from(w.data as ArrayLike<unknown>, (v) => (typeof v === "bigint" ? Number(v) : typeof v === "boolean" ? Number(v) : v));
      const actual = Array.from(g.data, (v) => (typeof v === "boolean" ? Number(v) : v));
      if (typeof expected[0] === "number")
        expected.forEach((v, i) => assert.ok(Math.abs((actual[i] as number) - (v as number)) <= 1e-5, `output '${name}'[${i}]: ${actual[i]} vs ${v}`));
      else assert.deepEqual(actual, expected, `output '${name}'`);
    }
  } finally {
    await oracle.release();
  }
  return got;
}

const TEXT = ["Grüße", "THE", "naïve", "", "Straße", "the", "Ünïcödé", "and", "x"];

test("StringNormalizer lowers and drops case-insensitive stopwords in UTF-8 text", { skip }, async () => {
  const got = await expectLikeOrt({
    nodes: [
      { op: "StringNormalizer", inputs: ["X"], outputs: ["Y"], attrs: { case_change_action: "LOWER", stopwords: { strings: ["the", "AND"] }, locale: LOCALE } },
    ],
    input: { shape: [TEXT.length], data: TEXT },
    outputs: [{ name: "Y", type: STRING }],
    opset: 17,
  });
  assert.deepEqual((got.Y as Value).data, ["grüße", "naïve", "", "straße", "ünïcödé", "x"]);
});

test("StringNormalizer upper-cases [1, C] input with case-sensitive stopwords", { skip }, async () => {
  await expectLikeOrt({
    nodes: [
      {
        op: "StringNormalizer",
        inputs: ["X"],
        outputs: ["Y"],
        attrs: { case_change_action: "UPPER", is_case_sensitive: 1, stopwords: { strings: ["the"] }, locale: LOCALE },
      },
    ],
    input: { shape: [1, TEXT.length], data: TEXT },
    outputs: [{ name: "Y", type: STRING }],
    opset: 17,
  });
});

test("StringSplit by a delimiter, with maxsplit, on empty strings", { skip }, async () => {
  await expectLikeOrt({
    nodes: [{ op: "StringSplit", inputs: ["X"], outputs: ["Y", "Z"], attrs: { delimiter: "ß", maxsplit: 1 } }],
    input: { shape: [2, 2], data: ["aßbßc", "ß", "ßß", "none"] },
    outputs: [
      { name: "Y", type: STRING },
      { name: "Z", type: "int64" },
    ],
  });
});

test("StringSplit on runs of whitespace", { skip }, async () => {
  await expectLikeOrt({
    nodes: [{ op: "StringSplit", inputs: ["X"], outputs: ["Y", "Z"] }],
    input: { shape: [3], data: ["  hello   wörld ", "one", " two  three four "] },
    outputs: [
      { name: "Y", type: STRING },
      { name: "Z", type: "int64" },
    ],
  });
});

/**
 * Where the ONNX reference (Python's str.split) and onnxruntime differ, Polychip follows the
 * reference: an empty string splits into one empty substring, and tabs and newlines are whitespace.
 */
test("StringSplit follows the ONNX reference on empty strings and tabs", async () => {
  const bytes = model({
    nodes: [
      { op: "StringSplit", inputs: ["X"], outputs: ["Y", "Z"], attrs: { delimiter: "," } },
      { op: "StringSplit", inputs: ["X"], outputs: ["W", "V"] },
    ],
    input: { shape: [2], data: [] },
    outputs: [
      { name: "Y", type: STRING },
      { name: "Z", type: "int64" },
      { name: "W", type: STRING },
      { name: "V", type: "int64" },
    ],
  });
  const session = await OnnxSession.create(bytes, { device: "cpu" });
  const got = await session.runValues({ X: { shape: [2], data: ["", "a\tb,\nc"] } });
  session.dispose();
  assert.deepEqual((got.Y as Value).data, ["", "", "a\tb", "\nc"]);
  assert.deepEqual(Array.from((got.Z as Value).data), [1, 2]);
  assert.deepEqual((got.W as Value).data, ["", "", "", "a", "b,", "c"]);
  assert.deepEqual(Array.from((got.V as Value).data), [0, 3]);
});

test("StringConcat broadcasts a string constant over the input", { skip }, async () => {
  const suffix = { tensor: { dims: [1], dataType: STRING, stringData: [new TextEncoder().encode("→ü")] } };
  await expectLikeOrt({
    nodes: [
      { op: "Constant", inputs: [], outputs: ["S"], attrs: { value: suffix } },
      { op: "StringConcat", inputs: ["X", "S"], outputs: ["Y"] },
    ],
    input: { shape: [3], data: ["a", "", "日本"] },
    outputs: [{ name: "Y", type: STRING }],
  });
});

test("RegexFullMatch matches whole strings as RE2 does", { skip }, async () => {
  await expectLikeOrt({
    nodes: [{ op: "RegexFullMatch", inputs: ["X"], outputs: ["Y"], attrs: { pattern: "[a-z]+\\s\\d{2}(?:x|y)?" } }],
    input: { shape: [5], data: ["abc 12", "abc 12y", "abc 123", "ABC 12", "abc\u00a012"] },
    outputs: [{ name: "Y", type: "bool" }],
  });
  await expectLikeOrt({
    nodes: [{ op: "RegexFullMatch", inputs: ["X"], outputs: ["Y"], attrs: { pattern: "a.c|[.]x" } }],
    input: { shape: [6], data: ["abc", "a\rc", "a\nc", "a\u2028c", ".x", "ax"] },
    outputs: [{ name: "Y", type: "bool" }],
  });
});

for (const device of ["cpu", "npu-sim"]) {
  test(`a string stage feeds a numeric one (${device}): normalize → LabelEncoder → Cast → Mul`, { skip }, async () => {
    const got = await expectLikeOrt(
      {
        nodes: [
          { op: "StringNormalizer", inputs: ["X"], outputs: ["N"], attrs: { case_change_action: "LOWER", locale: LOCALE } },
          {
            op: "LabelEncoder",
            domain: ML,
            inputs: ["N"],
            outputs: ["I"],
            attrs: { keys_strings: { strings: ["cat", "dog", "straße"] }, values_int64s: [1, 2, 3], default_int64: 0 },
          },
          { op: "Cast", inputs: ["I"], outputs: ["F"], attrs: { to: 1 } },
          { op: "Mul", inputs: ["F", "W"], outputs: ["Y"] },
        ],
        initializers: [initializer("W", [0.5], [1])],
        input: { shape: [4], data: ["Cat", "STRASSE", "Straße", "DOG"] },
        outputs: [{ name: "Y", type: "float32" }],
      },
      device,
    );
    assert.deepEqual(Array.from((got.Y as Value).data as Float32Array), [0.5, 0, 1.5, 1]);
  });
}

test("a string fed to a numeric op is refused naming the node", async () => {
  const bytes = model({
    nodes: [{ op: "Relu", inputs: ["X"], outputs: ["Y"], name: "relu_on_text" }],
    input: { shape: [2], data: [] },
    outputs: [{ name: "Y", type: "float32" }],
  });
  const session = await OnnxSession.create(bytes, { device: "cpu" });
  await assert.rejects(session.runValues({ X: { shape: [2], data: ["a", "b"] } }), (err: Error) => {
    assert.ok(err instanceof DTypeError, String(err));
    assert.match(err.message, /relu_on_text.*'X' is a STRING tensor/);
    return true;
  });
  session.dispose();
});

test("run() refuses a string output; runValues returns it", async () => {
  const bytes = model({
    nodes: [{ op: "StringNormalizer", inputs: ["X"], outputs: ["Y"], attrs: { case_change_action: "UPPER" } }],
    input: { shape: [2], data: [] },
    outputs: [{ name: "Y", type: STRING }],
    opset: 17,
  });
  const session = await OnnxSession.create(bytes, { device: "cpu" });
  await assert.rejects(session.run({ X: { shape: [2], data: ["a", "b"] } }), /output 'Y' is a STRING tensor: run this model with session\.runValues/);
  assert.deepEqual(await session.runValues({ X: { shape: [2], data: ["a", "é"] } }), { Y: { dtype: "string", shape: [2], data: ["A", "É"] } });
  await assert.rejects(session.runValues({ X: { shape: [3], data: ["a", "b"] } }), /needs 3 strings, got 2/);
  session.dispose();
});

test("RE2 constructs JavaScript reads differently are refused", async () => {
  for (const pattern of ["a(?=b)", "(a)\\1", "\\Aab", "[[:alpha:]]+", "(?i)ab"]) {
    const bytes = model({
      nodes: [{ op: "RegexFullMatch", inputs: ["X"], outputs: ["Y"], attrs: { pattern } }],
      input: { shape: [1], data: [] },
      outputs: [{ name: "Y", type: "bool" }],
    });
    const session = await OnnxSession.create(bytes, { device: "cpu" });
    await assert.rejects(
      session.runValues({ X: { shape: [1], data: ["ab"] } }),
      (err: Error) => err instanceof UnsupportedOpError && /RegexFullMatch/.test(err.message),
    );
    session.dispose();
  }
});

test("StringNormalizer refuses a locale other than the default", async () => {
  const bytes = model({
    nodes: [{ op: "StringNormalizer", inputs: ["X"], outputs: ["Y"], attrs: { case_change_action: "LOWER", locale: "tr_TR" } }],
    input: { shape: [1], data: [] },
    outputs: [{ name: "Y", type: STRING }],
    opset: 17,
  });
  const session = await OnnxSession.create(bytes, { device: "cpu" });
  await assert.rejects(session.runValues({ X: { shape: [1], data: ["I"] } }), /locale 'tr_TR' is not supported/);
  session.dispose();
});

test("LabelEncoder maps int64 to strings and CategoryMapper strings to ids, as onnxruntime", { skip }, async () => {
  const bytes = buildModel({
    opset: 17,
    domains: { [ML]: 2 },
    inputs: [{ name: "X", type: STRING, shape: [4] }],
    outputs: [
      { name: "I", type: "int64" },
      { name: "S", type: STRING },
      { name: "H", type: "float32" },
    ],
    nodes: [
      {
        op: "CategoryMapper",
        domain: ML,
        inputs: ["X"],
        outputs: ["I"],
        attrs: { cats_strings: { strings: ["ä", "b", ""] }, cats_int64s: [7, 8, 9], default_int64: -5 },
      },
      {
        op: "LabelEncoder",
        domain: ML,
        inputs: ["I"],
        outputs: ["S"],
        attrs: { keys_int64s: [7, 9], values_strings: { strings: ["seven", "nine"] }, default_string: "?" },
      },
      { op: "OneHotEncoder", domain: ML, inputs: ["X"], outputs: ["H"], attrs: { cats_strings: { strings: ["b", "ä", "zz"] } } },
    ],
  });
  const data = ["ä", "", "c", "b"];
  const session = await OnnxSession.create(bytes, { device: "cpu" });
  const got = await session.runValues({ X: { shape: [4], data } });
  session.dispose();
  const oracle = await ort!.InferenceSession.create(bytes);
  const want = await oracle.run({ X: new ort!.Tensor("string", data, [4]) });
  await oracle.release();
  assert.deepEqual(Array.from((got.I as Value).data), Array.from(want.I!.data as BigInt64Array, Number));
  assert.deepEqual((got.S as Value).data, Array.from(want.S!.data as string[]));
  assert.deepEqual([...(got.H as Value).shape], [...want.H!.dims]);
  assert.deepEqual(Array.from((got.H as Value).data), Array.from(want.H!.data as Float32Array));
});

test("LabelEncoder from an int64 graph input to strings reads the input per run", async () => {
  const bytes = buildModel({
    opset: 17,
    domains: { [ML]: 2 },
    inputs: [{ name: "X", type: "int64", shape: [3] }],
    outputs: [{ name: "S", type: STRING }],
    nodes: [{ op: "LabelEncoder", domain: ML, inputs: ["X"], outputs: ["S"], attrs: { keys_int64s: [1, 2], values_strings: { strings: ["one", "zwei"] } } }],
  });
  const session = await OnnxSession.create(bytes, { device: "cpu" });
  const first = await session.runValues({ X: { shape: [3], data: Int32Array.of(2, 1, 5), dtype: "int32" } });
  const second = await session.runValues({ X: { shape: [3], data: Int32Array.of(1, 1, 2), dtype: "int32" } });
  session.dispose();
  assert.deepEqual((first.S as Value).data, ["zwei", "one", "_Unused"]);
  assert.deepEqual((second.S as Value).data, ["one", "one", "zwei"]);
});

test("a string initializer inside an If branch is read", async () => {
  const suffix = { name: "T", dims: [1], dataType: STRING, stringData: [new TextEncoder().encode("!")] };
  const branch = (op: string) => ({
    nodes: [{ op, inputs: ["X", "T"], outputs: ["Y"] }],
    initializers: [suffix],
    inputs: [],
    outputs: [{ name: "Y", type: STRING }],
  });
  const bytes = buildModel({
    opset: 20,
    inputs: [
      { name: "X", type: STRING, shape: [2] },
      { name: "C", type: "bool", shape: [] },
    ],
    outputs: [{ name: "Z", type: STRING }],
    nodes: [
      { op: "If", inputs: ["C"], outputs: ["Z"], attrs: { then_branch: { graph: branch("StringConcat") }, else_branch: { graph: branch("StringConcat") } } },
    ],
  });
  const session = await OnnxSession.create(bytes, { device: "cpu" });
  const got = await session.runValues({ X: { shape: [2], data: ["a", "ü"] }, C: { shape: [], data: Uint8Array.of(1), dtype: "bool" } });
  session.dispose();
  assert.deepEqual((got.Z as Value).data, ["a!", "ü!"]);
});

test("string inputs reshape, flatten, squeeze and unsqueeze as onnxruntime", { skip }, async () => {
  const shape = { tensor: { dims: [2], dataType: 7, int64Data: [-1, 2] } };
  await expectLikeOrt({
    nodes: [
      { op: "Constant", inputs: [], outputs: ["S"], attrs: { value: shape } },
      { op: "Reshape", inputs: ["X", "S"], outputs: ["R"] },
      { op: "Identity", inputs: ["R"], outputs: ["I"] },
      { op: "Unsqueeze", inputs: ["I", "A"], outputs: ["U"] },
      { op: "Squeeze", inputs: ["U", "A"], outputs: ["Q"] },
      { op: "Flatten", inputs: ["U"], outputs: ["Y"], attrs: { axis: 2 } },
    ],
    initializers: [initializer("A", [1], [1], "int64")],
    input: { shape: [1, 6], data: ["a", "", "ü", "d", "e", "日"] },
    outputs: [
      { name: "Q", type: STRING },
      { name: "Y", type: STRING },
    ],
  });
});
