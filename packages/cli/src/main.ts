import "@polychip/devices";
import { PolychipError } from "@polychip/hal";
import { parseFlags, UsageError } from "./args.ts";
import { compileCommand } from "./commands/compile.ts";
import { conformanceCommand } from "./commands/conformance.ts";
import { deployCommand } from "./commands/deploy.ts";
import { evalCommand } from "./commands/eval.ts";
import { exportCommand } from "./commands/export.ts";
import { quickstartCommand } from "./commands/quickstart.ts";
import { runCommand } from "./commands/run.ts";
import { trainCommand } from "./commands/train.ts";
import { resolveDevice } from "./device-names.ts";
import { checkOutputPath } from "./files.ts";
import type { PrecisionChoice } from "./precision.ts";
import { trainGptCommand } from "./gpt-model.ts";
import { COMPILE_FLAGS, CONFORMANCE_FLAGS, DEPLOY_FLAGS, EVAL_FLAGS, EXPORT_FLAGS, QUICKSTART_FLAGS, RUN_FLAGS, TRAIN_FLAGS } from "./flags.ts";

export const USAGE = `polychip — train and deploy models on any device

usage:
  polychip train --model gpt [--text FILE] [--max-steps N] [--device cpu] [--out FILE] [--seed S] [--json]
  polychip train --model mlp|cnn [--epochs N] [--batch B] [--lr LR] [--device cpu] [--data DIR] [--subset]
                 [--precision auto|fp32|mixed-fp16] [--out FILE] [--seed S] [--max-steps N] [--json]
  polychip export <checkpoint.pcck> --out model.pcm [--onnx model.onnx] [--print] [--json]
  polychip run <model.pcm|model.onnx> --input inputs.json [--device cpu] [--json]
                 (inputs.json: {"<input name>": {"shape": [...], "data": [...], "dtype": "int64" (optional)}})
  polychip compile <model.pcm|model.onnx> [--device cpu] [--report] [--out fused.pcm] [--input inputs.json] [--json]
                 (kernels before/after fusion, planned peak memory; --report prints each generated kernel;
                  --input plans an ONNX model with dynamic dims or an If on its data for those inputs)
  polychip eval <model.pcm|model.onnx> --data fashion-mnist [--device cpu] [--subset] [--data-dir DIR] [--json]
  polychip conformance onnx <DIR...> [--device cpu] [--json] [--rtol R] [--atol A] [--expect FILE] [--summary]
  polychip deploy <model.pcm|model.onnx|checkpoint.pcck> [--device npu-sim] [--int8|--fp16] [--calibrate 512]
                 [--observer percentile|minmax] [--percentile 99.99] [--data fashion-mnist] [--subset] [--data-dir DIR]
                 [--limit N] [--baseline] [--out deployed.pcm] [--json]
  polychip quickstart [--model mlp|cnn] [--epochs N] [--subset] [--deploy-images N]
  polychip help

  train, run, compile, eval, deploy and conformance take --plugin <package|path> (repeatable) to load a device plugin,
  resolved from the working directory; --device is then its device's name, or a plugin's package or path itself.
`;

/** Steps of `train --model gpt` unless --max-steps says otherwise: a few seconds on a laptop. */
const GPT_STEPS = 200;

const printJson = (json: boolean, result: unknown) => json && process.stdout.write(`${JSON.stringify(result)}\n`);

/** Runs one command line; resolves to the exit code. Every flag is checked before any work starts. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "help" || command === "--help" || command === "-h") {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command === "quickstart") {
    const { values } = parseFlags(command, rest, QUICKSTART_FLAGS);
    await quickstartCommand({ model: values.model, epochs: values.epochs, subset: values.subset, deployImages: values["deploy-images"] });
    return 0;
  }
  if (command === "deploy") {
    const { values, positionals } = parseFlags(command, rest, DEPLOY_FLAGS, { min: 1, max: 1, what: "<model.pcm|model.onnx|checkpoint.pcck>" });
    if (values.int8 && values.fp16) throw new PolychipError("deploy: choose one of --int8 and --fp16");
    const device = await resolveDevice(command, values.device, values.plugin);
    const result = await deployCommand({
      model: positionals[0]!,
      device,
      precision: values.int8 ? "int8" : values.fp16 ? "fp16" : "fp32",
      calibrate: values.calibrate,
      observer: values.observer as "percentile" | "minmax",
      percentile: values.percentile,
      data: values.data,
      subset: values.subset,
      dataDir: values["data-dir"],
      limit: values.limit,
      baseline: values.baseline,
      out: values.out,
      json: values.json,
    });
    printJson(values.json, result);
    return 0;
  }
  if (command === "export") {
    const { values, positionals } = parseFlags(command, rest, EXPORT_FLAGS, { min: 1, max: 1, what: "<checkpoint.pcck>" });
    const checkpoint = positionals[0]!;
    const result = await exportCommand({
      checkpoint,
      out: values.out ?? checkpoint.replace(/\.pcck$/, "") + ".pcm",
      onnx: values.onnx,
      print: values.print,
      json: values.json,
    });
    printJson(values.json, result);
    return 0;
  }
  if (command === "run") {
    const { values, positionals } = parseFlags(command, rest, RUN_FLAGS, { min: 1, max: 1, what: "<model.pcm|model.onnx>" });
    if (!values.input) throw new PolychipError("run: --input <file.json> is required");
    const device = await resolveDevice(command, values.device, values.plugin);
    const result = await runCommand({ model: positionals[0]!, device, input: values.input, json: values.json });
    printJson(values.json, result);
    return 0;
  }
  if (command === "compile") {
    const { values, positionals } = parseFlags(command, rest, COMPILE_FLAGS, { min: 1, max: 1, what: "<model.pcm|model.onnx>" });
    const device = await resolveDevice(command, values.device, values.plugin);
    if (values.out) await checkOutputPath(values.out, "fused model file");
    const result = await compileCommand({ model: positionals[0]!, device, report: values.report, out: values.out, input: values.input, json: values.json });
    printJson(values.json, result);
    return 0;
  }
  if (command === "eval") {
    const { values, positionals } = parseFlags(command, rest, EVAL_FLAGS, { min: 1, max: 1, what: "<model.pcm|model.onnx>" });
    const device = await resolveDevice(command, values.device, values.plugin);
    const result = await evalCommand({
      model: positionals[0]!,
      data: values.data,
      device,
      subset: values.subset,
      dataDir: values["data-dir"],
      json: values.json,
    });
    printJson(values.json, result);
    return 0;
  }
  if (command === "conformance") {
    const { values, positionals } = parseFlags(command, rest, CONFORMANCE_FLAGS, { min: 1, max: Infinity, what: "onnx <DIR...>" });
    const [suite, ...paths] = positionals;
    if (suite !== "onnx") throw new PolychipError(`conformance: the only suite is 'onnx' (polychip conformance onnx <DIR...>), got '${suite ?? ""}'`);
    const device = await resolveDevice(command, values.device, values.plugin);
    return conformanceCommand({ paths, device, json: values.json, rtol: values.rtol, atol: values.atol, expect: values.expect, summary: values.summary });
  }
  if (command === "train") {
    const { values } = parseFlags(command, rest, TRAIN_FLAGS);
    const device = await resolveDevice(command, values.device, values.plugin);
    if (values.model === "gpt") {
      const out = values.out ?? "runs/gpt.pcck";
      await checkOutputPath(out, "checkpoint", { createParent: values.out === undefined });
      printJson(
        values.json,
        await trainGptCommand({ text: values.text, steps: values["max-steps"] ?? GPT_STEPS, device, seed: values.seed, out, json: values.json }),
      );
      return 0;
    }
    if (values.text !== undefined) throw new UsageError("train: --text is for --model gpt (the character-level transformer)");
    const result = await trainCommand({
      model: values.model,
      epochs: values.epochs,
      batch: values.batch,
      lr: values.lr,
      device,
      data: values.data,
      subset: values.subset,
      out: values.out ?? `runs/${values.model}.pcck`,
      createOutDir: values.out === undefined,
      json: values.json,
      seed: values.seed,
      maxSteps: values["max-steps"],
      precision: values.precision as PrecisionChoice,
    });
    printJson(values.json, result);
    return 0;
  }
  process.stderr.write(`polychip: unknown command '${command}'\n\n${USAGE}`);
  return 2;
}
