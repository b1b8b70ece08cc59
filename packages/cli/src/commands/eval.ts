import { loadFashionMnist } from "@polychip/datasets";
import { PolychipError } from "@polychip/engine/runtime";
import { loadModel } from "../model-files.ts";
import { checkFiniteGraph } from "../numerics.ts";
import { evaluateGraph } from "../graph-accuracy.ts";

export interface EvalArgs {
  model: string;
  data: string;
  device: string;
  subset: boolean;
  /** A folder with the four Fashion-MNIST files (default: Debian's, else the embedded subset). */
  dataDir?: string;
  json: boolean;
}

export interface EvalResult {
  model: string;
  device: string;
  data: string;
  accuracy: number;
  correct: number;
  count: number;
  seconds: number;
  imagesPerSecond: number;
}

/** `polychip eval`: a model file's accuracy on the Fashion-MNIST test set. */
export async function evalCommand(args: EvalArgs): Promise<EvalResult> {
  if (args.data !== "fashion-mnist") throw new PolychipError(`eval: unknown dataset '${args.data}' (available: fashion-mnist)`);
  const graph = await loadModel(args.model);
  checkFiniteGraph(graph, args.model);
  const data = await loadFashionMnist(args.dataDir ? { dir: args.dataDir } : { subset: args.subset });
  const started = performance.now();
  const { accuracy, correct } = await evaluateGraph(graph, data.test, args.device);
  const seconds = (performance.now() - started) / 1000;
  const result: EvalResult = {
    model: args.model,
    device: args.device,
    data: data.source,
    accuracy,
    correct,
    count: data.test.count,
    seconds,
    imagesPerSecond: data.test.count / seconds,
  };
  if (!args.json) {
    process.stdout.write(`data: ${data.description}\n`);
    process.stdout.write(
      `${args.model} on ${args.device}: accuracy ${(accuracy * 100).toFixed(2)}% (${correct}/${data.test.count}) in ${seconds.toFixed(1)}s, ${Math.round(result.imagesPerSecond)} img/s\n`,
    );
  }
  return result;
}
