import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface, type Interface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { BenchCase } from "../cases.ts";
import { SGD_LR } from "../models/params.ts";
import { ready, unsupported, type Prepared, type Runner, type RunnerInfo } from "./types.ts";

const SCRIPT = fileURLToPath(new URL("../pytorch/torch_runner.py", import.meta.url));
/** Debian's python3-torch is installed for the system interpreter, not for a pyenv/venv one. */
export const DEFAULT_PYTHON = process.env.BENCH_PYTHON ?? "/usr/bin/python3";

export interface TorchDescription {
  readonly version: string;
  readonly threads: number;
  readonly blas: string;
  readonly onednn: string | null;
  readonly mkldnnEnabled: boolean;
  readonly config: string;
}

type Reply = Record<string, unknown>;

/** PyTorch in a subprocess: a reference row for the training steps, timed inside Python. */
export class PyTorchRunner implements Runner {
  readonly id = "pytorch";
  description: TorchDescription | undefined;
  private child: ChildProcessWithoutNullStreams | undefined;
  private lines: Interface | undefined;
  private pending: ((reply: Reply) => void)[] = [];
  private exited: string | undefined;

  constructor(private readonly python = DEFAULT_PYTHON) {}

  async init(threads: number): Promise<RunnerInfo | { unavailable: string }> {
    if (!existsSync(this.python)) return { unavailable: `PyTorch not measured: ${this.python} does not exist (Debian: apt-get install python3-torch)` };
    this.child = spawn(this.python, [SCRIPT, String(threads)], { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stderr.on("data", () => {});
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on("line", (line) => this.pending.shift()?.(JSON.parse(line) as Reply));
    this.child.on("exit", (code) => {
      this.exited = `python exited with code ${code}`;
      for (const resolve of this.pending.splice(0)) resolve({ error: this.exited });
    });
    const hello = await this.reply();
    if (!hello.ready) {
      await this.close();
      return { unavailable: `PyTorch not measured: ${String(hello.reason ?? hello.error)}` };
    }
    const d = hello as unknown as TorchDescription;
    this.description = d;
    return {
      id: this.id,
      label: "PyTorch",
      detail: `PyTorch ${d.version} (${this.python}), ${d.threads} thread${d.threads === 1 ? "" : "s"}, BLAS_INFO=${d.blas}${d.onednn ? `, oneDNN ${d.onednn} for conv` : ""}`,
      threads: d.threads,
      singleThreadOnly: false,
      extra: { blas: d.blas, onednn: d.onednn, mkldnnEnabled: d.mkldnnEnabled, config: d.config },
    };
  }

  private reply(): Promise<Reply> {
    if (this.exited) return Promise.resolve({ error: this.exited });
    return new Promise((resolve) => this.pending.push(resolve));
  }

  private async send(cmd: Reply): Promise<Reply> {
    const answer = this.reply();
    this.child!.stdin.write(`${JSON.stringify(cmd)}\n`);
    const r = await answer;
    if (typeof r.error === "string") throw new Error(`pytorch: ${r.error}`);
    return r;
  }

  covers(c: BenchCase): boolean {
    return c.kind === "train";
  }

  async prepare(c: BenchCase): Promise<Prepared> {
    if (c.kind !== "train") return unsupported("the PyTorch row covers the training steps only");
    const r = await this.send({ cmd: "prepare", model: c.model, batch: c.batch, lr: SGD_LR });
    return ready({
      firstLoss: r.firstLoss as number,
      run: async () => (await this.send({ cmd: "run" })).ms as number,
      dispose: async () => void (await this.send({ cmd: "dispose" })),
    });
  }

  async close(): Promise<void> {
    if (!this.child || this.exited) return;
    const done = new Promise<void>((resolve) => this.child!.once("exit", () => resolve()));
    this.child.stdin.end(`${JSON.stringify({ cmd: "exit" })}\n`);
    await done;
  }
}
