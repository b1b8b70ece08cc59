/** One run's inputs, by name: values, shape and the ONNX type onnxruntime is fed (int64 is int32 in Polychip). */
export type RealModelFeeds = Record<string, { data: Float32Array | Int32Array | Uint8Array; shape: number[]; type: "float32" | "int64" | "bool" }>;

type PolychipDType = "float32" | "int32" | "bool";

/** The feeds as OnnxSession takes them: int64 inputs as int32. */
export function polychipFeeds(feeds: RealModelFeeds): Record<string, { data: Float32Array | Int32Array | Uint8Array; shape: number[]; dtype: PolychipDType }> {
  const dtype = { float32: "float32", int64: "int32", bool: "bool" } as const;
  return Object.fromEntries(Object.entries(feeds).map(([name, f]) => [name, { data: f.data, shape: f.shape, dtype: dtype[f.type] }]));
}

/** The feeds as onnxruntime tensors (node or web: `tensor` is its constructor call), int64 inputs as BigInt64. */
export function onnxruntimeFeeds<T>(
  feeds: RealModelFeeds,
  tensor: (type: "float32" | "int64" | "bool", data: Float32Array | BigInt64Array | Uint8Array, shape: number[]) => T,
): Record<string, T> {
  return Object.fromEntries(
    Object.entries(feeds).map(([name, f]) => [
      name,
      tensor(
        f.type,
        f.type === "int64" ? BigInt64Array.from(f.data, (v) => BigInt(v)) : f.type === "bool" ? Uint8Array.from(f.data) : (f.data as Float32Array),
        f.shape,
      ),
    ]),
  );
}
