/**
 * Writes ONNX test folders (model.onnx, test_data_set_0/input_N.pb and output_N.pb) whose expected
 * outputs are onnxruntime-node's: shared by the scripts that lay out other projects' test models
 * (import-tract-cases.ts, import-burn-onnx-cases.ts).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { encodeTensorProto } from "../src/proto/codec.ts";
import { DataType } from "../src/proto/types.ts";

const ONNX_TYPES: Readonly<Record<string, number>> = {
  float32: DataType.FLOAT,
  float64: DataType.DOUBLE,
  uint8: DataType.UINT8,
  int8: DataType.INT8,
  int32: DataType.INT32,
  int64: DataType.INT64,
  bool: DataType.BOOL,
};

/** An onnxruntime tensor as TensorProto bytes (raw_data). */
export function tensorBytes(name: string, t: ort.Tensor): Uint8Array {
  const dataType = ONNX_TYPES[t.type];
  if (dataType === undefined) throw new Error(`'${name}': onnxruntime type ${t.type} is not written`);
  const data = t.data as ArrayBufferView;
  const rawData = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  return encodeTensorProto({ name, dims: [...t.dims], dataType, rawData });
}

/** Runs the model in onnxruntime-node on `feeds`; undefined (with the reason) when onnxruntime refuses it. */
export async function onnxruntimeOutputs(
  model: Uint8Array,
  feeds: Record<string, ort.Tensor>,
): Promise<{ names: readonly string[]; outputs: ort.InferenceSession.ReturnType } | { refused: string }> {
  let session: ort.InferenceSession | undefined;
  try {
    session = await ort.InferenceSession.create(model);
    return { names: session.outputNames, outputs: await session.run(feeds) };
  } catch (err) {
    return { refused: (err as Error).message.split("\n")[0]! };
  } finally {
    await session?.release();
  }
}

/** A test folder: the model, the inputs in graph order, and the outputs in graph order. */
export function writeTestFolder(dir: string, model: Uint8Array, inputs: readonly [string, ort.Tensor][], outputs: readonly [string, ort.Tensor][]): void {
  mkdirSync(join(dir, "test_data_set_0"), { recursive: true });
  writeFileSync(join(dir, "model.onnx"), model);
  inputs.forEach(([n, t], i) => writeFileSync(join(dir, "test_data_set_0", `input_${i}.pb`), tensorBytes(n, t)));
  outputs.forEach(([n, t], i) => writeFileSync(join(dir, "test_data_set_0", `output_${i}.pb`), tensorBytes(n, t)));
}
