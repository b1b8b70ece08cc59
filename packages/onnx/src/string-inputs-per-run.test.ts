import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { OnnxSession, type OnnxResult } from "./session.ts";
import { buildModel, type NodeSpec } from "./testing/model-builder.ts";
import { ort } from "./testing/onnxruntime.ts";

/**
 * STRING graph inputs are run-time host values (import/string-host-steps.ts): the string ops
 * reading them run per run as host steps, so one OnnxSession plans once for every text of the same
 * shape, and a text whose string results change shape (a split into more pieces) re-plans only
 * for the new shape. Each run is checked against onnxruntime-node.
 */
const skip = ort ? false : "onnxruntime-node is not installed";
const STRING = 8;
const ML = "ai.onnx.ml";

type Value = { shape: readonly number[]; data: ArrayLike<unknown> };

/** Text → normalised, looked up, compared, concatenated, matched; the ids then go through a numeric op on the device. */
const pipeline: NodeSpec[] = [
  { op: "StringNormalizer", inputs: ["X"], outputs: ["N"], attrs: { case_change_action: "LOWER", locale: "C.UTF-8" } },
  {
    op: "LabelEncoder",
    domain: ML,
    inputs: ["N"],
    outputs: ["ids"],
    attrs: { keys_strings: { strings: ["cat", "dog", "émeu"] }, values_int64s: [1, 2, 3], default_int64: 0 },
  },
  { op: "Mul", inputs: ["ids", "ten"], outputs: ["scaled"] },
  { op: "Constant", inputs: [], outputs: ["ten"], attrs: { value: { tensor: { dims: [], dataType: 7, int64Data: [10] } } } },
  { op: "Equal", inputs: ["N", "dog"], outputs: ["is_dog"] },
  {
    op: "Constant",
    inputs: [],
    outputs: ["dog"],
    attrs: { value: { tensor: { dims: [1], dataType: STRING, stringData: [new TextEncoder().encode("dog")] } } },
  },
  { op: "StringConcat", inputs: ["N", "X"], outputs: ["joined"] },
  { op: "RegexFullMatch", inputs: ["X"], outputs: ["capital"], attrs: { pattern: "[A-ZÉ].*" } },
];

const model = buildModel({
  opset: 20,
  domains: { [ML]: 4 },
  inputs: [{ name: "X", type: STRING, shape: [4] }],
  outputs: [
    { name: "scaled", type: "int64" },
    { name: "is_dog", type: "bool" },
    { name: "joined", type: STRING },
    { name: "capital", type: "bool" },
  ],
  // Constant nodes after their readers in the list: the importer orders the graph.
  nodes: [pipeline[3]!, pipeline[5]!, ...pipeline.filter((_, i) => i !== 3 && i !== 5)],
});

async function expectLikeOrt(bytes: Uint8Array, got: Record<string, OnnxResult>, x: { shape: number[]; data: string[] }): Promise<void> {
  const oracle = await ort!.InferenceSession.create(bytes);
  try {
    const want = await oracle.run({ X: new ort!.Tensor("string", x.data, x.shape) });
    for (const name of oracle.outputNames) {
      const g = got[name] as Value;
      const w = want[name]!;
      assert.deepEqual([...g.shape], [...w.dims], `output '${name}' shape`);
      const plain = (v: unknown) => (typeof v === "bigint" || typeof v === "boolean" ? Number(v) : v);
      assert.deepEqual(Array.from(g.data, plain), Array.from(w.data as ArrayLike<unknown>, plain), `output '${name}' for ${JSON.stringify(x.data)}`);
    }
  } finally {
    await oracle.release();
  }
}

const imports = (session: OnnxSession) => session.planStats.shapes.imports + session.planStats.counts.imports;

test("one OnnxSession fed three texts of one shape imports the model for the first only, each run like onnxruntime", { skip }, async () => {
  const session = await OnnxSession.create(model, { device: "cpu" });
  try {
    const texts = [
      ["Cat", "DOG", "bird", "Émeu"],
      ["dog", "dog", "Dog", "x"],
      ["", "ÉMEU", "cat ", "CAT"],
    ];
    let afterFirst = 0;
    for (const data of texts) {
      const x = { shape: [4], data };
      await expectLikeOrt(model, await session.runValues({ X: x }), x);
      afterFirst ||= imports(session);
    }
    assert.equal(imports(session), afterFirst, "the second and third texts imported the model again");
    assert.equal(session.planCount, 1, "one device plan serves every text");
  } finally {
    session.dispose();
  }
});

test("a text of another shape plans once more, then its values run under that plan", { skip }, async () => {
  const bytes = buildModel({
    opset: 20,
    domains: { [ML]: 4 },
    inputs: [{ name: "X", type: STRING, shape: ["n"] }],
    outputs: [{ name: "scaled", type: "int64" }],
    nodes: [pipeline[3]!, ...pipeline.slice(0, 3)],
  });
  const session = await OnnxSession.create(bytes, { device: "cpu" });
  try {
    const run = async (data: string[]) => {
      const x = { shape: [data.length], data };
      await expectLikeOrt(bytes, await session.runValues({ X: x }), x);
      return imports(session);
    };
    const two = await run(["cat", "x"]);
    assert.equal(await run(["DOG", "émeu"]), two);
    const three = await run(["a", "b", "Cat"]);
    assert.ok(three > two, "a new shape plans");
    assert.equal(await run(["dog", "dog", "émeu"]), three);
  } finally {
    session.dispose();
  }
});

test("StringSplit of texts into more pieces re-plans for the new width only; the same width reuses the plan", { skip }, async () => {
  const bytes = buildModel({
    opset: 20,
    domains: { [ML]: 4 },
    inputs: [{ name: "X", type: STRING, shape: [2] }],
    outputs: [
      { name: "ids", type: "int64" },
      { name: "counts", type: "int64" },
    ],
    nodes: [
      { op: "StringSplit", inputs: ["X"], outputs: ["words", "counts"] },
      {
        op: "LabelEncoder",
        domain: ML,
        inputs: ["words"],
        outputs: ["ids"],
        attrs: { keys_strings: { strings: ["a", "b"] }, values_int64s: [1, 2], default_int64: -1 },
      },
    ],
  });
  const session = await OnnxSession.create(bytes, { device: "cpu" });
  try {
    const run = async (data: string[]) => {
      const x = { shape: [2], data };
      await expectLikeOrt(bytes, await session.runValues({ X: x }), x);
      return imports(session);
    };
    const widthTwo = await run(["a b", "c"]);
    assert.equal(await run(["b  a", " a "]), widthTwo, "same width, same plans");
    const widthThree = await run(["a b c", "b"]);
    assert.ok(widthThree > widthTwo, "a wider split plans its shape");
    assert.equal(await run(["c c c", "a b"]), widthThree);
  } finally {
    session.dispose();
  }
});

test("a Loop carrying a string through its iterations (a value each iteration computes anew) is planned per text, each run like onnxruntime", {
  skip,
}, async () => {
  const text = (s: string) => ({ tensor: { dims: [1], dataType: STRING, stringData: [new TextEncoder().encode(s)] } });
  const body = {
    inputs: [
      { name: "i", type: "int64" as const, shape: [] },
      { name: "c", type: "bool" as const, shape: [] },
      { name: "acc", type: STRING, shape: [2] },
    ],
    outputs: [
      { name: "c_out", type: "bool" as const, shape: [] },
      { name: "acc_out", type: STRING, shape: [2] },
      { name: "hit", type: "bool" as const },
    ],
    nodes: [
      { op: "Identity", inputs: ["c"], outputs: ["c_out"] },
      { op: "Constant", inputs: [], outputs: ["suffix"], attrs: { value: text("a") } },
      { op: "StringConcat", inputs: ["acc", "suffix"], outputs: ["acc_out"] },
      { op: "Equal", inputs: ["acc_out", "target"], outputs: ["hit"] },
    ],
  };
  const bytes = buildModel({
    opset: 20,
    inputs: [{ name: "X", type: STRING, shape: [2] }],
    outputs: [
      { name: "final", type: STRING },
      { name: "hits", type: "bool" },
    ],
    nodes: [
      { op: "Constant", inputs: [], outputs: ["M"], attrs: { value: { tensor: { dims: [], dataType: 7, int64Data: [2] } } } },
      { op: "Constant", inputs: [], outputs: ["T"], attrs: { value: { tensor: { dims: [], dataType: 9, int32Data: [1] } } } },
      { op: "Constant", inputs: [], outputs: ["target"], attrs: { value: text("xaa") } },
      { op: "Loop", inputs: ["M", "T", "X"], outputs: ["final", "hits"], attrs: { body: { graph: body } } },
    ],
  });
  const session = await OnnxSession.create(bytes, { device: "cpu" });
  try {
    for (const data of [
      ["x", "y"],
      ["y", "x"],
      ["xa", "x"],
    ]) {
      const x = { shape: [2], data };
      await expectLikeOrt(bytes, await session.runValues({ X: x }), x);
    }
  } finally {
    session.dispose();
  }
});

test("an If on a comparison of the text (a value the import needs) runs each text's branch, like onnxruntime", { skip }, async () => {
  const branch = (value: number) => ({
    inputs: [],
    outputs: [{ name: "y", type: "float32" as const }],
    nodes: [{ op: "Constant", inputs: [], outputs: ["y"], attrs: { value: { tensor: { dims: [1], dataType: 1, floatData: [value] } } } }],
  });
  const bytes = buildModel({
    opset: 20,
    inputs: [{ name: "X", type: STRING, shape: [1] }],
    outputs: [
      { name: "Y", type: "float32" },
      { name: "N", type: STRING },
    ],
    nodes: [
      { op: "StringNormalizer", inputs: ["X"], outputs: ["N"], attrs: { case_change_action: "LOWER", locale: "C.UTF-8" } },
      {
        op: "Constant",
        inputs: [],
        outputs: ["yes"],
        attrs: { value: { tensor: { dims: [1], dataType: STRING, stringData: [new TextEncoder().encode("yes")] } } },
      },
      { op: "Equal", inputs: ["N", "yes"], outputs: ["C"] },
      { op: "If", inputs: ["C"], outputs: ["Y"], attrs: { then_branch: { graph: branch(1) }, else_branch: { graph: branch(2) } } },
    ],
  });
  const session = await OnnxSession.create(bytes, { device: "cpu" });
  try {
    for (const data of [["YES"], ["no"], ["Yes"], ["nope"]]) {
      const x = { shape: [1], data };
      await expectLikeOrt(bytes, await session.runValues({ X: x }), x);
    }
  } finally {
    session.dispose();
  }
});
