import { parseArgs } from "node:util";

export interface BenchArgs {
  readonly quick: boolean;
  readonly only?: string;
  readonly peers?: string;
  readonly threads: number[];
  /** "" = the default file. */
  readonly json?: string;
  readonly markdown?: string;
  readonly epoch: boolean;
  readonly epochSteps?: number;
  readonly webgpu: boolean;
  readonly webgpuFull: boolean;
  /** The real-model suite of @polychip/onnx instead of issue 6's cases. */
  readonly models: boolean;
  readonly help: boolean;
}

export const USAGE = `pnpm bench [options]

Runs Polychip's cpu device beside tfjs-cpu, tfjs-wasm, onnxruntime-web (WASM), onnxruntime-node
(native) and PyTorch, at 1 and 2 threads; prints medians, ratios and issue 6's goals.

  --quick             a fast smoke run: fewer cases, fewer runs (figures are rough)
  --only <ids>        comma-separated case ids or prefixes: matmul, matmul-1024, conv2d,
                      mlp-train-64, cnn-train-64, cnn-infer (…-1, …-64); "epoch" = the epoch only
  --peers <ids>       runners beside Polychip: tfjs-cpu,tfjs-wasm,ort-web,ort-node,pytorch
  --threads <list>    thread counts, one pass each (default 1,2)
  --json [file]       write every figure as JSON (default packages/bench/bench-results.json)
  --markdown <file>   write the tables as markdown
  --epoch             also time one full-set Fashion-MNIST CNN epoch (long)
  --epoch-steps <n>   stop the epoch after n steps and project the full epoch
  --webgpu            the WebGPU cases in headless Chromium instead of the cpu cases
  --webgpu-full       with --webgpu on a software adapter: also the slowest cases (matmul 2048)
  --models            the real ONNX models of @polychip/onnx's suite instead (Polychip cpu beside
                      ort-web and ort-node; --only model-ppocr-v4-det,… picks some); issue 11's goals
  --help`;

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  // `pnpm bench -- --quick` passes the separator through.
  const args = argv.filter((a) => a !== "--");
  const jsonIndex = args.indexOf("--json");
  // --json takes an optional value: give it the default when the next word is another flag.
  if (jsonIndex >= 0 && (jsonIndex === args.length - 1 || args[jsonIndex + 1]!.startsWith("--"))) args.splice(jsonIndex + 1, 0, "");
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      peers: { type: "string" },
      threads: { type: "string", default: "1,2" },
      json: { type: "string" },
      markdown: { type: "string" },
      epoch: { type: "boolean", default: false },
      "epoch-steps": { type: "string" },
      webgpu: { type: "boolean", default: false },
      "webgpu-full": { type: "boolean", default: false },
      models: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  const threads = values.threads!.split(",").map((s) => Number(s.trim()));
  if (threads.some((t) => !Number.isInteger(t) || t < 1)) throw new Error(`--threads ${values.threads}: expected positive integers like 1,2`);
  const epochSteps = values["epoch-steps"] === undefined ? undefined : Number(values["epoch-steps"]);
  if (epochSteps !== undefined && (!Number.isInteger(epochSteps) || epochSteps < 1))
    throw new Error(`--epoch-steps ${values["epoch-steps"]}: expected a positive integer`);
  const onlyIds = values.only?.split(",").map((s) => s.trim()) ?? [];
  const epochOnly = onlyIds.includes("epoch");
  const only = epochOnly ? onlyIds.filter((s) => s !== "epoch").join(",") || "none" : values.only;
  return {
    quick: values.quick!,
    only,
    peers: values.peers,
    threads,
    json: values.json,
    markdown: values.markdown,
    epoch: values.epoch! || epochOnly || epochSteps !== undefined,
    epochSteps,
    webgpu: values.webgpu! || values["webgpu-full"]!,
    webgpuFull: values["webgpu-full"]!,
    models: values.models!,
    help: values.help!,
  };
}
