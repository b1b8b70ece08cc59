import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { OnnxSession } from "../session.ts";
import { buildModel, type NodeSpec } from "../testing/model-builder.ts";
import { expectLikeOnnxruntime, ort, type OrtFeed } from "../testing/onnxruntime.ts";
import { tensorToProto } from "../tensor.ts";
import { ML } from "../testing/ml-testing.ts";

/**
 * The numeric ai.onnx.ml encoders against onnxruntime-node: OneHotEncoder, LabelEncoder (int and
 * float keys and values, opsets 2 and 4), FeatureVectorizer; and the refusals (opset-1 LabelEncoder, ZipMap; the string forms are in strings.test.ts).
 */
const skip = ort ? false : "onnxruntime-node is not installed";

interface Feed {
  name: string;
  type: "float32" | "int64";
  shape: number[];
  values: number[];
}

async function check(
  node: Omit<NodeSpec, "inputs" | "outputs" | "domain">,
  feeds: Feed[],
  outputType: "float32" | "int64",
  mlOpset = 2,
  device = "cpu",
): Promise<void> {
  const model = buildModel({
    opset: 17,
    domains: { [ML]: mlOpset },
    inputs: feeds.map((f) => ({ name: f.name, type: f.type, shape: f.shape })),
    outputs: [{ name: "Y", type: outputType }],
    nodes: [{ ...node, inputs: feeds.map((f) => f.name), outputs: ["Y"], domain: ML }],
  });
  const ortFeeds: Record<string, OrtFeed> = Object.fromEntries(
    feeds.map((f) => [
      f.name,
      f.type === "int64"
        ? { data: BigInt64Array.from(f.values, BigInt), shape: f.shape, type: "int64" }
        : { data: Float32Array.from(f.values), shape: f.shape, type: "float32" },
    ]),
  );
  const session = await OnnxSession.create(model, { device });
  try {
    const got = await session.run(
      Object.fromEntries(
        feeds.map((f) => [
          f.name,
          f.type === "int64"
            ? { data: Int32Array.from(f.values), shape: f.shape, dtype: "int32" as const }
            : { data: Float32Array.from(f.values), shape: f.shape, dtype: "float32" as const },
        ]),
      ),
    );
    await expectLikeOnnxruntime(model, ortFeeds, got, 1e-6);
  } finally {
    session.dispose();
  }
}

const ints = (shape: number[], values: number[]): Feed => ({ name: "X", type: "int64", shape, values });
const floats = (shape: number[], values: number[], name = "X"): Feed => ({ name, type: "float32", shape, values });

test("OneHotEncoder (int64 and float inputs, unknown categories, a category listed twice) matches onnxruntime", { skip }, async () => {
  const attrs = { cats_int64s: [4, -1, 7, 0, 7], zeros: 1 };
  await check({ op: "OneHotEncoder", attrs }, [ints([2, 3], [4, 7, 3, -1, 0, 100])], "float32");
  await check({ op: "OneHotEncoder", attrs }, [ints([4], [0, 0, 7, 5])], "float32");
  // Floats are truncated toward zero before the lookup.
  await check({ op: "OneHotEncoder", attrs }, [floats([2, 3], [4.75, -1.5, 7, 0.25, -0.75, 2])], "float32");
});

test("OneHotEncoder with zeros=0 matches onnxruntime on known values (int64 and float X, cpu and npu-sim)", { skip }, async () => {
  const attrs = { cats_int64s: [4, -1, 7], zeros: 0 };
  await check({ op: "OneHotEncoder", attrs }, [ints([2, 2], [4, 7, -1, 4])], "float32");
  await check({ op: "OneHotEncoder", attrs }, [floats([3], [4.5, -1.25, 7.75])], "float32", 2, "npu-sim");
});

for (const device of ["cpu", "npu-sim"]) {
  test(`OneHotEncoder with zeros=0 on ${device} stops the run on an unknown value with an error naming the node, the op and the value`, async () => {
    const attrs = { cats_int64s: [4, -1, 7], zeros: 0 };
    await assert.rejects(
      check({ op: "OneHotEncoder", attrs, name: "encode_colour" }, [ints([2, 2], [4, 7, 5, 4])], "float32", 2, device),
      /ONNX node 'encode_colour' \(ai\.onnx\.ml\.OneHotEncoder, opset 2\): X\[1, 0\] is 5, which is not one of cats_int64s \[4, -1, 7\], and zeros is 0/,
    );
    // A float that truncates to no category names the value as given.
    await assert.rejects(
      check({ op: "OneHotEncoder", attrs }, [floats([3], [4, 6.5, 7])], "float32", 2, device),
      /OneHotEncoder.*X\[1\] is 6\.5, which is not one of/,
    );
  });
}

test("OneHotEncoder with zeros=0 reads an X the model computes per run: one plan serves runs of one shape", { skip }, async () => {
  const model = buildModel({
    opset: 17,
    domains: { [ML]: 2 },
    inputs: [{ name: "X", type: "float32", shape: [4] }],
    outputs: [{ name: "Y", type: "float32" }],
    nodes: [
      { op: "Abs", inputs: ["X"], outputs: ["A"] },
      { op: "OneHotEncoder", inputs: ["A"], outputs: ["Y"], domain: ML, attrs: { cats_int64s: [0, 1, 2, 3], zeros: 0 } },
    ],
  });
  const session = await OnnxSession.create(model, { device: "cpu" });
  const imports = () => session.planStats.shapes.imports + session.planStats.counts.imports;
  let afterFirst = 0;
  for (const values of [
    [0, -1, 2.5, 3],
    [3, 3, -2, 1],
    [1, 0, 0, -3.5],
  ]) {
    const x = Float32Array.from(values);
    await expectLikeOnnxruntime(model, { X: { data: x, shape: [4], type: "float32" } }, await session.run({ X: { data: x, shape: [4] } }), 0);
    afterFirst ||= imports();
  }
  assert.equal(imports(), afterFirst, "the runs after the first imported nothing");
  await assert.rejects(session.run({ X: { data: Float32Array.from([0, 1, -4, 2]), shape: [4] } }), /OneHotEncoder.*X\[2\] is 4, which is not one of/);
  session.dispose();
});

test("LabelEncoder int→int, int→float, float→int, float→float (opset 2) matches onnxruntime", { skip }, async () => {
  const intX = ints([2, 4], [1, 5, -3, 8, 5, 0, 9, 1]);
  const floatX = floats([7], [0.5, -2, 3.25, 0.5, 9, -0, 1e6]);
  await check({ op: "LabelEncoder", attrs: { keys_int64s: [1, 5, -3], values_int64s: [10, 50, -30], default_int64: 99 } }, [intX], "int64");
  await check(
    { op: "LabelEncoder", attrs: { keys_int64s: [1, 5, -3], values_floats: { floats: [0.5, -5, 3] }, default_float: { float: 2.5 } } },
    [intX],
    "float32",
  );
  await check({ op: "LabelEncoder", attrs: { keys_floats: { floats: [0.5, -2, 0] }, values_int64s: [1, 2, 3] } }, [floatX], "int64");
  await check({ op: "LabelEncoder", attrs: { keys_floats: { floats: [0.5, -2, 3.25] }, values_floats: { floats: [5, 6, 7] } } }, [floatX], "float32");
});

test("LabelEncoder with tensor keys and values and a NaN key (opset 4) matches onnxruntime", { skip }, async () => {
  const tensor = (name: string, dtype: "float32" | "int32", values: number[]) => ({
    tensor:
      dtype === "float32"
        ? tensorToProto(name, { dtype, shape: [values.length], data: Float32Array.from(values) })
        : tensorToProto(name, { dtype, shape: [values.length], data: Int32Array.from(values) }, { asInt64: true }),
  });
  await check(
    {
      op: "LabelEncoder",
      attrs: {
        keys_tensor: tensor("keys_tensor", "float32", [1.5, Number.NaN, -4]),
        values_tensor: tensor("values_tensor", "int32", [7, 8, 9]),
        default_tensor: tensor("default_tensor", "int32", [-42]),
      },
    },
    [floats([5], [1.5, Number.NaN, 3, -4, 0])],
    "int64",
    4,
  );
});

test("FeatureVectorizer concatenates, cuts and zero-pads its inputs like onnxruntime", { skip }, async () => {
  await check(
    { op: "FeatureVectorizer", attrs: { inputdimensions: [2, 3, 4] } },
    // onnxruntime binds every input to one type.
    [
      floats([3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9], "A"),
      floats([3, 2], [10, 11, 12, 13, 14, 15], "B"),
      floats(
        [3, 4],
        Array.from({ length: 12 }, (_, i) => i * 0.5),
        "C",
      ),
    ],
    "float32",
  );
  // A 1-D input is one row; a rank-3 input is flattened after its first axis.
  await check({ op: "FeatureVectorizer", attrs: { inputdimensions: [3, 2] } }, [floats([2], [1.5, -2], "A"), floats([1, 2, 2], [3, 4, 5, 6], "B")], "float32");
  await check(
    { op: "FeatureVectorizer", attrs: { inputdimensions: [3, 1] } },
    [ints([3, 2], [1, 2, 3, 4, 5, 6]), { name: "B", type: "int64", shape: [3, 1], values: [7, 8, 9] }],
    "float32",
  );
});

test("the encoders run on npu-sim like onnxruntime", { skip }, async () => {
  await check({ op: "OneHotEncoder", attrs: { cats_int64s: [2, 3, 5] } }, [ints([2, 2], [5, 2, 9, 3])], "float32", 2, "npu-sim");
  await check(
    { op: "LabelEncoder", attrs: { keys_int64s: [2, 3], values_floats: { floats: [0.5, 1.5] } } },
    [ints([4], [3, 2, 2, 7])],
    "float32",
    2,
    "npu-sim",
  );
});

test("misplaced string encoders and ZipMap are refused, naming the node and the way around", async () => {
  const refuse = async (op: string, attrs: NodeSpec["attrs"], pattern: RegExp) => {
    const model = buildModel({
      opset: 17,
      domains: { [ML]: 2 },
      inputs: [{ name: "X", type: "int64", shape: [2] }],
      outputs: [{ name: "Y", type: "float32" }],
      nodes: [{ op, inputs: ["X"], outputs: ["Y"], domain: ML, attrs }],
    });
    const session = await OnnxSession.create(model);
    try {
      await assert.rejects(session.run({ X: { data: Int32Array.from([1, 2]), shape: [2], dtype: "int32" } }), pattern);
    } finally {
      session.dispose();
    }
  };
  await refuse("OneHotEncoder", { cats_strings: { strings: ["a", "b"] } }, /OneHotEncoder.*'X' is int32, where this op expects a STRING tensor/);
  await refuse("LabelEncoder", { classes_strings: { strings: ["a", "b"] }, default_string: "?" }, /LabelEncoder opset 1 \(classes_strings\) is not supported/);
  await refuse("ZipMap", { classlabels_int64s: [0, 1] }, /ZipMap.*'zipmap': False/);
});
