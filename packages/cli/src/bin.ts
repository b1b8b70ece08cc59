import { parseArgs } from "node:util";
import { PolychipError } from "@polychip/hal";
import { quickstartCommand } from "./commands/quickstart.ts";
import { trainCommand } from "./commands/train.ts";

const USAGE = `polychip — train and deploy models on any device

usage:
  polychip train --model mlp|cnn [--epochs N] [--batch B] [--lr LR] [--device cpu] [--data DIR] [--subset]
                 [--out FILE] [--seed S] [--max-steps N] [--json]
  polychip quickstart [--model mlp|cnn] [--epochs N] [--subset]
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
      options: { model: { type: "string", default: "mlp" }, epochs: { type: "string", default: "1" }, subset: { type: "boolean", default: false } },
    });
    await quickstartCommand({ model: values.model!, epochs: positiveInt("epochs", values.epochs!), subset: values.subset! });
    return 0;
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
