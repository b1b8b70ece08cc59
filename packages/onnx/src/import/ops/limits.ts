/**
 * What each supported ONNX operator does not do (beyond the dtypes every op shares), as OPS.md
 * lists it. Keep it beside the lowerings: a new refusal in an op file belongs here too.
 */
export const KNOWN_LIMITS: Readonly<Record<string, string>> = {
  AveragePool: "1-D to 3-D (3-D as two 2-D passes); auto_pad SAME needs static spatial dims",
  BatchNormalization: "spatial=0 up to opset 8; the running-statistics outputs only with training_mode (opset 14+)",
  Cast: "no bfloat16, string, float8 or 4-bit targets",
  Constant: "tensor, float and int values (no strings, no sparse tensors)",
  Conv: "1-D and 2-D",
  ConvTranspose: "1-D to 3-D",
  Dropout: "inference only (training_mode=1 is refused)",
  Expand: "a target shape known at import, or read at run time",
  GlobalAveragePool: "needs the spatial dims (OnnxSession binds them)",
  GlobalMaxPool: "needs the spatial dims (OnnxSession binds them)",
  Hardmax: "along a dim known at import",
  If: "the branch is chosen at import; a condition on data is computed per run by OnnxSession",
  Loop: "unrolled at import (at most 4,096 iterations): trip count and conditions from constants, shapes, or per run via OnnxSession; no zero-iteration scan outputs",
  MatMulInteger: "computed in float32: exact while partial sums stay below 2^24",
  MatMulNBits: "2, 4 or 8 bits; weights dequantised at import; no g_idx",
  MaxPool: "1-D to 3-D; no Indices output",
  MultiHeadAttention: "3-D query, key and value; no masks, attention bias or past/present state",
  Pad: "modes constant, reflect, edge; pads known at import (or per run via OnnxSession)",
  Range: "bounds known at import, or computed per run by OnnxSession",
  Resize: "needs the input's shape (OnnxSession binds it); scales or sizes known at import",
  Scan: "opset 9+ (Scan-8 refused); unrolled over a sequence length known at import (at most 4,096)",
  ScatterElements: "reduction none or add",
  SkipLayerNormalization: "no mean / inv_std_var outputs",
  Split: "equal parts of a dim known at import",
  Squeeze: "without axes, needs the static shape",
  Tile: "repeats known at import (or per run via OnnxSession)",
  TopK: "k known at import, at most 256, along a dim known at import",
  Upsample: "needs the input's shape; opset 1's experimental form (height_scale/width_scale) included",
};
