/** The examples gallery: each entry opens its code in the editor. */
import fashionMlp from "./fashion-mlp.ts?raw";
import fashionCnn from "./fashion-cnn.ts?raw";
import charTransformer from "./char-transformer.ts?raw";
import onnxImport from "./onnx-import.ts?raw";
import npuInt8 from "./npu-int8.ts?raw";

/** Capabilities an example needs beyond the engine and the CPU (see the worker's features()). */
export type Requirement = "trace" | "onnx" | "runtime" | "deploy" | "npu-sim" | "webgpu";

export interface Example {
  id: string;
  title: string;
  summary: string;
  code: string;
  requires: Requirement[];
}

export const EXAMPLES: Example[] = [
  {
    id: "fashion-mlp",
    title: "Fashion-MNIST MLP",
    summary: "784 → 128 → 10 with Adam; live loss and accuracy, test accuracy at the end.",
    code: fashionMlp,
    requires: [],
  },
  {
    id: "fashion-cnn",
    title: "Fashion-MNIST CNN",
    summary: "Two conv blocks and a linear head; see conv2d and matmul kernels in the profiler.",
    code: fashionCnn,
    requires: [],
  },
  {
    id: "char-transformer",
    title: "Tiny character-level transformer",
    summary: "Embeddings and a pre-norm nn.TransformerEncoderLayer with causal attention; writes a sample.",
    code: charTransformer,
    requires: [],
  },
  {
    id: "onnx-import",
    title: "Import an ONNX model and run it",
    summary: "Export a model to ONNX, import it back (or drop your own .onnx) and compare outputs.",
    code: onnxImport,
    requires: ["onnx", "trace", "runtime"],
  },
  {
    id: "npu-int8",
    title: "Deploy to the NPU in int8",
    summary: "Calibrate, quantise to int8 and run on the simulated NPU; cycles and fallbacks in the profiler.",
    code: npuInt8,
    requires: ["npu-sim", "trace", "deploy", "runtime"],
  },
];

export const DEFAULT_EXAMPLE = "fashion-cnn";

export function exampleById(id: string): Example | undefined {
  return EXAMPLES.find((e) => e.id === id);
}
