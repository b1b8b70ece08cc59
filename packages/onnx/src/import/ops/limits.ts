/**
 * What each supported ONNX operator does not do (beyond the dtypes every op shares), as OPS.md
 * lists it. Keep it beside the lowerings: a new refusal in an op file belongs here too. An op of
 * another domain whose name ai.onnx also uses is keyed `domain.op`.
 */
export const KNOWN_LIMITS: Readonly<Record<string, string>> = {
  AveragePool: "1-D to 3-D (3-D as two 2-D passes); auto_pad SAME needs static spatial dims",
  BatchNormalization: "spatial=0 up to opset 8; the running-statistics outputs only with training_mode (opset 14+)",
  Cast: "no string targets; low-precision targets (bfloat16, float8, float4, e8m0, 4/2-bit ints) are held in float32/int8/uint8; float to int4/int2 rounds ties to even (onnxruntime: away from zero)",
  Constant: "tensor, float, int and string values (no sparse tensors); strings are host values",
  Conv: "1-D to 3-D; a 3-D conv needs its input's channel and spatial sizes (OnnxSession binds them)",
  ConvTranspose: "1-D to 3-D",
  Dropout: "inference only: training_mode=1 is refused unless ratio is 0 (then every element is kept); training_mode fed at run time is read per run",
  Expand: "a target shape known at import, or read at run time",
  GlobalAveragePool: "needs the spatial dims (OnnxSession binds them)",
  GlobalMaxPool: "needs the spatial dims (OnnxSession binds them)",
  Hardmax: "along a dim known at import",
  If: "the branch is chosen at import; a condition on data is computed per run by OnnxSession",
  Loop: "unrolled at import (at most 4,096 iterations): trip count and conditions from constants, shapes, or per run via OnnxSession; no zero-iteration scan outputs",
  ConvInteger: "1-D to 3-D; a grouped conv sums in float32 (exact while partial sums stay below 2^24)",
  MatMulInteger: "zero points per tensor, per row of A or per column of B",
  MatMulNBits: "2, 4 or 8 bits; weights dequantised at import; no g_idx",
  MaxPool:
    "1-D to 3-D; Indices need static shapes; a NaN in a window makes its value NaN (onnxruntime keeps the window's first tap, NaN or not, and skips NaN after it; Indices follow onnxruntime)",
  FusedConv:
    "Conv's limits; activation Relu, Tanh, Sigmoid, LeakyRelu, Clip, HardSigmoid or Silu (onnxruntime 1.30's CPU kernel refuses Silu, so that one is checked against its formula only)",
  FusedGemm:
    "2-D A and B; the activation one of onnxruntime's elementwise functors (Relu, Tanh, Sigmoid, LeakyRelu, Elu, Celu, Selu, HardSigmoid, ThresholdedRelu, Softplus, Softsign, ScaledTanh, ParametricSoftplus) with only the activation_alpha/beta/gamma it reads",
  FusedMatMul: "transA/transB need rank 2 or more, transBatchA/transBatchB rank 3 or more",
  MatMulIntegerToFloat: "8-bit A and B; a_scale and a_zero_point per tensor, b_scale and b_zero_point per tensor or per column",
  DynamicQuantizeMatMul: "float32 A (quantised to uint8 per run, as DynamicQuantizeLinear); b_scale and b_zero_point per tensor or per column",
  SimplifiedLayerNormalization: "onnxruntime's (default domain, as its optimiser writes it): stash_type 1 only; no inv_std_var output",
  QLinearWhere: "int8/uint8 with per-tensor scales and zero points",
  "com.microsoft.QLinearConv": "channels_last 0 or 1 (1: X and Y channels-last); otherwise QLinearConv's limits",
  NhwcMaxPool: "int8/uint8, channels-last; MaxPool's limits",
  "com.microsoft.QuantizeLinear": "ONNX's QuantizeLinear at opset 19 (per tensor or per axis; no blocks); only the axis attribute",
  "com.microsoft.DequantizeLinear": "ONNX's DequantizeLinear at opset 19 (per tensor or per axis; no blocks); only the axis attribute",
  MultiHeadAttention: "no past_sequence_length/cache_indirection or qk output",
  "com.microsoft.Attention": "no past_sequence_length, shared past/present buffer, rotary or left-padding mask_index",
  GroupQueryAttention: "float KV cache; seqlens_k and total_sequence_length read per run; no quantised or sliding-window cache, q/k norm or output_qk",
  Pad: "pads known at import (or per run via OnnxSession); wrap needs the padded axes' sizes, and repeats an axis narrower than its pad as numpy does (onnxruntime reads past the input there)",
  QLinearAdd: "int8/uint8 with per-tensor scales and zero points",
  QLinearMul: "int8/uint8 with per-tensor scales and zero points",
  QLinearAveragePool:
    "1-D to 3-D; the window sum is the device's float32 (onnxruntime adds the dequantised taps in order), so a value within float rounding of a .5 tie may round the other way",
  QLinearGlobalAveragePool: "needs the spatial dims (OnnxSession binds them)",
  QLinearConcat: "int8/uint8 with per-tensor scales and zero points",
  QLinearSoftmax:
    "int8/uint8 with per-tensor scales and zero points; the float32 softmax of the dequantised input, quantised (equal to onnxruntime on every tested input)",
  QGemm: "2-D A and B; a_scale per tensor, b_scale per tensor or per column",
  QLinearConv: "1-D to 3-D; a grouped conv sums in float32 (exact while partial sums stay below 2^24)",
  QLinearMatMul: "int8/uint8; 1-D scales and zero points broadcast per row of a / column of b as the spec says (onnxruntime takes per-tensor ones only)",
  QuantizeLinear: "no int32 targets; blocked quantisation needs static shapes",
  DequantizeLinear: "blocked quantisation needs static shapes",
  Range: "bounds known at import, or computed per run by OnnxSession",
  Resize: "needs the input's shape (OnnxSession binds it); scales or sizes known at import",
  "com.microsoft.RotaryEmbedding": "no packed batching; rotary dim = 2 × the cache's width",
  Scan: "unrolled over a sequence length known at import (at most 4,096); Scan-8 also needs the batch size and sequence_lens at import (batch × length at most 4,096)",
  ScatterElements: "static shapes for reduction mul/max/min (built from a sort and a segmented scan: no HAL scatter does them)",
  NonZero:
    "indices found on the host: at import when the input is known, else per run by OnnxSession (any size; the rest of the model is planned per count), in an If branch too, and in a Loop body when the input is a top-level value; one the Loop body computes is frozen into the plan (at most 4,096 values)",
  GatherND: "static shapes",
  ScatterND: "static shapes for reduction mul/max/min (as ScatterElements)",
  CumSum: "axis known at import",
  DFT: "static shape; axis and dft_length known at import; one matmul by a cos/sin matrix of at most 2^24 entries (length 2,048 complex, 4,096 real one-sided)",
  STFT: "static shape; frame_step and frame_length known at import; DFT matrix limit as DFT",
  HannWindow: "size known at import (or per run via OnnxSession)",
  HammingWindow: "size known at import (or per run via OnnxSession)",
  BlackmanWindow: "size known at import (or per run via OnnxSession)",
  MelWeightMatrix: "all inputs known at import (or per run via OnnxSession)",
  DeformConv: "2-D; static shapes; computed in float32",
  "ai.onnx.preview.training.Gradient":
    "y's upstream gradient is ones (a tensor y means its sum); the subgraph from the xs and zs to y needs static shapes, ops with a gradient rule in the engine (else an error naming the op) and no host steps; it is recomputed from the node's inputs",
  "ai.onnx.preview.training.Adagrad": "each tensor's gradient and state of its shape (no broadcasting); computed in float32",
  "ai.onnx.preview.training.Adam": "each tensor's gradient and states of its shape (no broadcasting); computed in float32",
  "ai.onnx.preview.training.Momentum": "each tensor's gradient and momentum of its shape (no broadcasting); computed in float32",
  GridSample:
    "static shapes; cubic over at most 3 spatial dims; cubic with border padding clamps each tap (PyTorch, onnxruntime), not the position first (ONNX reference); computed in float32",
  NonMaxSuppression:
    "selection on the host: at import when boxes and scores are known, else per run by OnnxSession (any number of boxes; the rest of the model is planned per count), in an If branch too, and in a Loop body when the inputs are top-level values; ones the Loop body computes are frozen into the plan (at most 4,096 values each)",
  AffineGrid: "2-D and 3-D; size known at import",
  CenterCropPad: "static input shape; shape known at import",
  Col2Im: "static input shape; image_shape and block_shape known at import",
  MaxUnpool: "static shapes; output_shape known at import; indices address output_shape (PyTorch, onnxruntime), not the unpooled shape (ONNX reference)",
  RoiAlign:
    "sample taps built on the host from rois and batch_indices: at import when known, else per run by OnnxSession (planned per tap count); static X shape; at most 2^24 bilinear taps over all bins (64 MiB of indices and weights)",
  MaxRoiPool:
    "as onnxruntime's CPU kernel (roi corners scaled and rounded, empty bins 0); cells listed on the host from the rois: at import when known, else per run by OnnxSession (planned per cell count); static X shape; at most 2^24 listed cells over all bins",
  RandomNormal: "Polychip's counter-based generator (never onnxruntime's numbers); without a seed, one stream per plan, repeated each run",
  RandomNormalLike: "as RandomNormal; needs the input's shape",
  RandomUniform: "as RandomNormal",
  RandomUniformLike: "as RandomNormal; needs the input's shape",
  SkipLayerNormalization: "no mean / inv_std_var outputs",
  Squeeze: "without axes, needs the static shape",
  Tile: "repeats known at import, computed from shapes (a symbolic repeat only of a dim of 1), or per run via OnnxSession; a symbolic dim repeated more than once needs its size (OnnxSession binds it)",
  TopK: "k known at import, along a dim known at import",
  Upsample: "needs the input's shape; opset 1's experimental form (height_scale/width_scale) included",
  Einsum: "needs the operands' shapes (OnnxSession binds them)",
  Trilu: "needs the input's last two dims",
  OneHot: "depth known at import (or per run via OnnxSession)",
  EyeLike: "needs the input's shape",
  Compress:
    "indices picked on the host from the condition (at import, or per run by OnnxSession, planned per count); the data stays on the device; a condition selecting nothing gives a zero-size axis",
  LpNormalization: "p 1 or 2",
  LpPool: "1-D to 3-D, as AveragePool",
  BitwiseNot: "uint32/uint64 refused (results past int32's range); uint16 must be declared as such (graph input/output or value_info)",
  BitShift: "uint32/uint64 held in int32: values and left-shift results below 2^31; uint16 wraps at 16 bits where declared as such",
  Det: "needs the input's shape (elimination unrolled over M)",
  ReverseSequence: "needs the input's shape",
  Attention: "needs the inputs' shapes (OnnxSession binds them); opset 24's errata semantics (bottom-right causal mask) for 23 too",
  RotaryEmbedding: "needs the input's shape",
  LinearClassifier:
    "one row of coefficients per class, or one row for two labels (onnxruntime's binary scores), integer labels (string labels refused); no PROBIT",
  LinearRegressor: "no PROBIT",
  SVMRegressor: "no post_transform applied, as onnxruntime",
  OneHotEncoder:
    "int64 categories (within int32) and numeric input (floats truncated, as onnxruntime); cats_strings on the host (string input: at import when known, else per run by OnnxSession); with zeros=0 an unknown value stops the run with an error naming it, as onnxruntime fails it (X read on the host: at import, or per run by OnnxSession; a plain import of a run-time X leaves it to a gather of index -1)",
  LabelEncoder:
    "int64 (within int32), float and string keys and values (opsets 2–4; opset 1's classes_strings refused); a string side runs on the host (at import when the strings are known, else per run by OnnxSession; numeric input mapped to strings is frozen per run by OnnxSession, at most 4,096 values); a key listed twice refused",
  CategoryMapper:
    "on the host (strings are host values: at import when known, else per run by OnnxSession); int64 input mapped to strings is frozen per run by OnnxSession (at most 4,096 values)",
  FeatureVectorizer: "inputs' column counts known at import",
  ZipMap: "refused: a sequence of maps has no Polychip value (convert with skl2onnx options={id(model): {'zipmap': False}})",
  SVMClassifier:
    "integer labels, two or more classes; probability estimates (prob_a/prob_b) for up to 8 classes only (the pairwise coupling is unrolled at import: seconds to import); no PROBIT",
  Imputer: "float or integer features as held (int64 as int32)",
  TreeEnsembleClassifier:
    "integer labels; one and two classes by onnxruntime's binary rules (two classes with votes for both and one base value, and a one-class leaf without a weight, refused); the label is the best class that got a vote, as onnxruntime; no PROBIT",
  TreeEnsembleRegressor: "at least one split; post_transform not applied to a single target, as onnxruntime; no PROBIT",
  TreeEnsemble: "as TreeEnsembleRegressor; BRANCH_MEMBER compares the value itself (onnxruntime truncates it to an integer and takes integer members only)",
  TensorScatter: "needs the cache's and the update's shapes; write_indices may be read at run time",
  Scatter: "as ScatterElements without a reduction",
  NegativeLogLikelihoodLoss: "needs the input's shape",
  SoftmaxCrossEntropyLoss: "needs the input's shape",
  Bernoulli: "as RandomUniform (its own draws, never onnxruntime's); needs the input's shape",
  Multinomial: "as RandomUniform (its own draws, never onnxruntime's); needs the input's shape",
  Unique:
    "runs on the host: at import when the input is known, else per run by OnnxSession (the rest of the model reads its four outputs as inputs, planned per count); an empty input gives empty outputs",
  ImageDecoder:
    "decoded on the host: at import when the bytes are known, else per run by OnnxSession (the rest of the model planned per image size); PNG (plain or Adam7-interlaced), JPEG (Huffman baseline/progressive, 8-bit gray or YCbCr/RGB, as libjpeg decodes), BMP (24/32-bit, 1/4/8-bit paletted, RLE8/RLE4), PNM (P1 to P6), TIFF (8-bit strips: none/LZW/PackBits/Deflate); WebP, JPEG 2000 and others refused; a corrupt, truncated or unrecognised stream is an error (ONNX's spec returns an empty image instead)",
  // Sequences are lists known at import (their length part of the plan), optionals present or absent per plan.
  SequenceAt: "position known at import (or per run via OnnxSession, planned per value)",
  SequenceInsert: "position known at import (or per run via OnnxSession, planned per value)",
  SequenceErase: "position known at import (or per run via OnnxSession, planned per value)",
  SplitToSequence:
    "the axis's size known at import (OnnxSession binds it); split known at import (or per run via OnnxSession, planned per value); keepdims=0 also drops the axis for a scalar split of 1, as onnxruntime does",
  ConcatFromSequence: "a non-empty sequence (an empty one has no known shape)",
  SequenceMap: "unrolled per element at import (as Loop)",
  // Strings are host values (src/strings.ts): the string ops run at import when the strings are known, else per run
  // as host steps under OnnxSession (string-host-steps.ts), one plan for every string value of a shape.
  StringNormalizer: "on the host; locale en_US, C.UTF-8 or none (others refused); case mapped one code point at a time, as onnxruntime",
  StringConcat: "on the host",
  StringSplit:
    "on the host; follows the ONNX reference where onnxruntime differs (an empty string gives one empty substring; tabs and newlines are whitespace)",
  RegexFullMatch:
    "on the host, with JavaScript's RegExp where RE2 reads the pattern the same; lookarounds, backreferences, \\A \\z \\Z \\C \\Q \\E \\p \\P \\k \\K, POSIX classes, inline flags and \\s inside a class are refused",
  Equal: "string operands compared on the host",
  TfIdfVectorizer:
    "counted on the host: strings and int64 at import when known, else per run by OnnxSession (a host step; the rest of the model planned once); 1-D and 2-D input",
};
