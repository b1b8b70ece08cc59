import { parseArgs } from "node:util";
import { PolychipError } from "@polychip/hal";
import { conformanceCommand } from "./commands/conformance.ts";
import { deployCommand } from "./commands/deploy.ts";
import { evalCommand } from "./commands/eval.ts";
import { exportCommand } from "./commands/export.ts";
import { quickstartCommand } from "./commands/quickstart.ts";
import { runCommand } from "./commands/run.ts";
import { trainCommand } from "./commands/train.ts";

const USAGE = `polychip — train and deploy models on any device

usage:
  polychip train --model mlp|cnn [--epochs N] [--batch B] [--lr LR] [--device cpu] [--data DIR] [--subset]
                 [--out FILE] [--seed S] [--max-steps N] [--json]
  polychip export <checkpoint.pcck> --out model.pcm [--onnx model.onnx] [--print] [--json]
  polychip run <model.pcm|model.onnx> --input inputs.json [--device cpu] [--json]
                 (inputs.json: {"<input name>": {"shape": [...], "data": [...]}})
  polychip eval <model.pcm|model.onnx> --data fashion-mnist [--device cpu] [--subset] [--data-dir DIR] [--json]
  polychip conformance onnx <DIR...> [--device cpu] [--json] [--rtol R] [--atol A] [--expect FILE] [--summary]
  polychip deploy <model.pcm|model.onnx|checkpoint.pcck> [--device npu-sim] [--int8|--fp16] [--calibrate 512]
                 [--observer percentile|minmax] [--percentile 99.99] [--data fashion-mnist] [--subset] [--data-dir DIR]
                 [--limit N] [--baseline] [--out deployed.pcm] [--json]
  polychip quickstart [--model mlp|cnn] [--epochs N] [--subset] [--deploy-images N]
  polychip help
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "help" || command === "--help" || command === "-h") {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command === "quickstart") {
    const { values } = parseArgs({
      args: rest,
      options: {
        model: { type: "string", default: "mlp" }, epochs: { type: "string", default: "1" }, subset: { type: "boolean", default: false },
        "deploy-images": { type: "string" },
      },
    });
    const deployImages = values["deploy-images"] ? positiveInt("deploy-images", values["deploy-images"]) : undefined;
    await quickstartCommand({ model: values.model!, epochs: positiveInt("epochs", values.epochs!), subset: values.subset!, deployImages });
    return 0;
  }
  if (command === "deploy") {
    const { values, positionals } = parseArgs({
      args: rest, allowPositionals: true,
      options: {
        device: { type: "string", default: "npu-sim" }, int8: { type: "boolean", default: false }, fp16: { type: "boolean", default: false },
        calibrate: { type: "string", default: "512" }, observer: { type: "string", default: "percentile" }, percentile: { type: "string" },
        data: { type: "string", default: "fashion-mnist" }, subset: { type: "boolean", default: false }, "data-dir": { type: "string" },
        limit: { type: "string" }, baseline: { type: "boolean", default: false }, out: { type: "string" }, json: { type: "boolean", default: false },
      },
    });
    const model = onePositional("deploy", "<model.pcm|model.onnx|checkpoint.pcck>", positionals);
    if (values.int8 && values.fp16) throw new PolychipError("deploy: choose one of --int8 and --fp16");
    if (values.observer !== "percentile" && values.observer !== "minmax") throw new PolychipError(`--observer must be percentile or minmax, got '${values.observer}'`);
    const result = await deployCommand({
      model, device: values.device!, precision: values.int8 ? "int8" : values.fp16 ? "fp16" : "fp32", calibrate: positiveInt("calibrate", values.calibrate!),
      observer: values.observer, percentile: values.percentile === undefined ? undefined : Number(values.percentile), data: values.data!,
      subset: values.subset!, dataDir: values["data-dir"], limit: values.limit ? positiveInt("limit", values.limit) : undefined,
      baseline: values.baseline!, out: values.out, json: values.json!,
    });
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  }
  if (command === "export") {
    const { values, positionals } = parseArgs({
      args: rest, allowPositionals: true,
      options: { out: { type: "string" }, onnx: { type: "string" }, print: { type: "boolean", default: false }, json: { type: "boolean", default: false } },
    });
    const checkpoint = onePositional("export", "<checkpoint.pcck>", positionals);
    const result = await exportCommand({ checkpoint, out: values.out ?? checkpoint.replace(/\.pcck$/, "") + ".pcm", onnx: values.onnx, print: values.print!, json: values.json! });
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  }
  if (command === "run") {
    const { values, positionals } = parseArgs({
      args: rest, allowPositionals: true,
      options: { device: { type: "string", default: "cpu" }, input: { type: "string" }, json: { type: "boolean", default: false } },
    });
    const model = onePositional("run", "<model.pcm|model.onnx>", positionals);
    if (!values.input) throw new PolychipError("run: --input <file.json> is required");
    const result = await runCommand({ model, device: values.device!, input: values.input, json: values.json! });
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  }
  if (command === "eval") {
    const { values, positionals } = parseArgs({
      args: rest, allowPositionals: true,
      options: {
        data: { type: "string", default: "fashion-mnist" }, device: { type: "string", default: "cpu" }, subset: { type: "boolean", default: false },
        "data-dir": { type: "string" }, json: { type: "boolean", default: false },
      },
    });
    const model = onePositional("eval", "<model.pcm|model.onnx>", positionals);
    const result = await evalCommand({ model, data: values.data!, device: values.device!, subset: values.subset!, dataDir: values["data-dir"], json: values.json! });
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  }
  if (command === "conformance") {
    const { values, positionals } = parseArgs({
      args: rest, allowPositionals: true,
      options: {
        device: { type: "string", default: "cpu" }, json: { type: "boolean", default: false }, rtol: { type: "string", default: "1e-3" },
        atol: { type: "string", default: "1e-5" }, expect: { type: "string" }, summary: { type: "boolean", default: false },
      },
    });
    const [suite, ...paths] = positionals;
    if (suite !== "onnx") throw new PolychipError(`conformance: the only suite is 'onnx' (polychip conformance onnx <DIR...>), got '${suite ?? ""}'`);
    return conformanceCommand({ paths, device: values.device!, json: values.json!, rtol: Number(values.rtol), atol: Number(values.atol), expect: values.expect, summary: values.summary! });
  }
  if (command === "train") {
    const { values } = parseArgs({
      args: rest,
      options: {
        model: { type: "string", default: "mlp" }, epochs: { type: "string", default: "1" }, batch: { type: "string", default: "64" },
        lr: { type: "string", default: "0.001" }, device: { type: "string", default: "cpu" }, data: { type: "string" },
        subset: { type: "boolean", default: false }, out: { type: "string" }, json: { type: "boolean", default: false },
        seed: { type: "string", default: "1" }, "max-steps": { type: "string" },
      },
    });
    const result = await trainCommand({
      model: values.model!, epochs: positiveInt("epochs", values.epochs!), batch: positiveInt("batch", values.batch!), lr: Number(values.lr),
      device: values.device!, data: values.data, subset: values.subset!, out: values.out ?? `runs/${values.model}.pcck`,
      json: values.json!, seed: Number(values.seed), maxSteps: values["max-steps"] ? positiveInt("max-steps", values["max-steps"]) : undefined,
    });
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  }
  process.stderr.write(`polychip: unknown command '${command}'\n\n${USAGE}`);
  return 2;
}

function onePositional(command: string, what: string, positionals: string[]): string {
  if (positionals.length !== 1) throw new PolychipError(`${command}: expects one ${what} argument, got ${positionals.length}`);
  return positionals[0]!;
}

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new PolychipError(`--${name} must be a positive integer, got '${value}'`);
  return n;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof PolychipError || (err as Error)?.name?.endsWith("Error")) {
      process.stderr.write(`polychip: ${(err as Error).name}: ${(err as Error).message}\n`);
      if (process.env.POLYCHIP_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    } else process.stderr.write(`polychip: ${String(err)}\n`);
    process.exit(1);
  },
);
