/**
 * Runs an example's code in Node through the same transpile-and-require path as the worker,
 * with the embedded Fashion-MNIST subset handed over as dropped files. Used by the examples' tests.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as polychip from "../user-api/polychip.ts";
import { setRunContext, type MetricPoint, type RegisteredModel } from "../user-api/run-context.ts";
import { compileUserCode, transpileUserCode } from "../lib/transpile.ts";

const SUBSET_DIR = join(dirname(fileURLToPath(import.meta.url)), "../../../packages/datasets/data/fashion-mnist-subset");

export interface NodeRun {
  metrics: MetricPoint[];
  logs: string[];
  model: RegisteredModel | undefined;
  /** Data loading the helpers reported (dataset loads, batches). */
  data: { name: string; start: number; end: number }[];
}

/** Replaces `const NAME = <number>;` so tests can run a few steps. */
export function withConstant(code: string, name: string, value: number): string {
  const re = new RegExp(`const ${name} = \\d+;`);
  if (!re.test(code)) throw new Error(`the example has no 'const ${name} = <number>;' line`);
  return code.replace(re, `const ${name} = ${value};`);
}

export async function runInNode(code: string): Promise<NodeRun> {
  const files = readdirSync(SUBSET_DIR)
    .filter((f) => f.endsWith(".gz"))
    .map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(SUBSET_DIR, name))) }));
  const out: NodeRun = { metrics: [], logs: [], model: undefined, data: [] };
  setRunContext({
    device: "cpu",
    fashionMnistUrl: "http://127.0.0.1:9/unused/",
    files,
    startedAt: performance.now(),
    metric: (p) => out.metrics.push(p),
    dataLoaded: (name, start, end) => out.data.push({ name, start, end }),
    model: (m) => (out.model = m),
    graph: () => undefined,
    optional: () => Promise.reject(new Error("optional packages are not loaded in Node tests")),
    loadDevice: (name) => (name === "cpu" ? Promise.resolve() : Promise.reject(new Error("only the cpu in Node tests"))),
  });
  const fakeConsole = { ...console, log: (...args: unknown[]) => out.logs.push(args.join(" ")) };
  try {
    const fn = compileUserCode(transpileUserCode(code));
    await fn((name: string) => (name === "polychip" ? polychip : undefined), {}, {}, fakeConsole);
  } finally {
    setRunContext(undefined);
  }
  return out;
}
