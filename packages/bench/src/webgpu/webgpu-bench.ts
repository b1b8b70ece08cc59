import { existsSync } from "node:fs";
import { filterCases, type BenchCase } from "../cases.ts";
import type { GoalResult } from "../goals.ts";
import { speedRatio } from "../goals.ts";
import { currentLoad, describeLoad, describeMachine, machineInfo, type MachineInfo } from "../machine.ts";
import type { PassResult } from "../pass.ts";
import { goalsTable, renderPass, renderTable, type Format } from "../report.ts";
import { FULL_SAMPLING, QUICK_SAMPLING, SMOKE_SAMPLING, type SamplingPolicy } from "../sampling.ts";
import { bundlePage, webGpuDeviceEntry } from "./bundle.ts";
import type { AdapterDescription } from "./page.ts";
import { serveBench } from "./server.ts";
import { SOFTWARE_SKIPPED, webgpuCases, webgpuQuickCases } from "./webgpu-cases.ts";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--enable-unsafe-webgpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface WebGpuBenchOptions {
  readonly quick: boolean;
  readonly only?: string;
  /** Also the cases left out on a software adapter. */
  readonly full: boolean;
  readonly command: string;
  /** The smoke test's sampling; otherwise chosen from the adapter. */
  readonly sampling?: SamplingPolicy;
  readonly cases?: readonly BenchCase[];
  readonly log?: (line: string) => void;
}

export interface WebGpuReport {
  readonly kind: "webgpu";
  readonly command: string;
  readonly machine: MachineInfo;
  readonly browser?: string;
  readonly adapter?: AdapterDescription;
  /** Why nothing was measured, when that is the case. */
  readonly unavailable?: string;
  readonly skipped: string[];
  readonly sampling?: SamplingPolicy;
  readonly pass?: PassResult;
  readonly goals: GoalResult[];
  readonly seconds: number;
  readonly loadAtEnd: number;
}

interface BenchPage {
  describeAdapter(): Promise<AdapterDescription>;
  run(cases: BenchCase[], sampling: SamplingPolicy): Promise<PassResult>;
}

/** Issue 4's goals, meaningful on a real GPU only. */
function webgpuGoals(pass: PassResult | undefined, adapter: AdapterDescription | undefined, skipped: readonly string[] = []): GoalResult[] {
  const goals = [
    { caseId: "matmul-2048", peer: "tfjs-webgpu", atLeast: 1.5, goal: "matmul 2048 ≥ 1.5× tfjs-webgpu" },
    { caseId: "matmul-2048", peer: "ort-webgpu", atLeast: 1.0, goal: "matmul 2048 ≥ 1.0× onnxruntime-web WebGPU" },
    { caseId: "conv2d", peer: "tfjs-webgpu", atLeast: 1.5, goal: "conv2d ≥ 1.5× tfjs-webgpu" },
    { caseId: "conv2d", peer: "ort-webgpu", atLeast: 1.0, goal: "conv2d ≥ 1.0× onnxruntime-web WebGPU" },
  ];
  return goals.map((g) => {
    const c = pass?.cases.find((x) => x.id === g.caseId);
    const ratio = c ? speedRatio(c, g.peer, "polychip-webgpu") : undefined;
    const target = `≥ ${g.atLeast}× on a real GPU`;
    if (!adapter?.available) return { goal: g.goal, target, measured: "no WebGPU adapter", status: "not measured" as const };
    if (ratio === undefined) {
      const why = c ? "a runner has no figure" : skipped.includes(g.caseId) ? "left out on the software adapter" : "case not run";
      return { goal: g.goal, target, measured: why, status: "not measured" as const };
    }
    const measured = `${ratio.toFixed(2)}×`;
    if (adapter.software) return { goal: g.goal, target, measured: `${measured} (software adapter: not a GPU figure)`, status: "not measured" as const };
    return { goal: g.goal, target, measured, status: ratio >= g.atLeast ? ("met" as const) : ("not met" as const) };
  });
}

/** Bundles the page, serves it, drives headless Chromium through it and collects one pass. */
export async function runWebGpuBench(opts: WebGpuBenchOptions): Promise<WebGpuReport> {
  const started = performance.now();
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const base = { kind: "webgpu" as const, command: opts.command, machine: machineInfo() };
  const finish = (rest: Partial<WebGpuReport>): WebGpuReport => ({
    ...base,
    skipped: [],
    goals: webgpuGoals(rest.pass, rest.adapter, rest.skipped),
    ...rest,
    seconds: (performance.now() - started) / 1000,
    loadAtEnd: currentLoad(),
  });
  if (!existsSync(CHROMIUM_PATH)) return finish({ unavailable: `no Chromium at ${CHROMIUM_PATH} (Debian: apt-get install chromium; or set CHROMIUM_PATH)` });
  if (!webGpuDeviceEntry()) log("@polychip/device-webgpu is not available yet: Polychip's WebGPU row will say so");
  const { chromium } = await import("playwright-core");
  const bundle = await bundlePage();
  const server = await serveBench(bundle);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: false, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    page.on("console", (m) => {
      const text = m.text();
      if (text.startsWith("[bench] ")) log(text.slice(8));
    });
    page.on("pageerror", (err) => log(`page error: ${err.message}`));
    await page.goto(server.url);
    await page.waitForFunction(() => "polychipBench" in globalThis, undefined, { timeout: 60_000 });
    const adapter = await page.evaluate(() => (globalThis as unknown as { polychipBench: BenchPage }).polychipBench.describeAdapter());
    if (!adapter.available) return finish({ browser: browser.version(), adapter, unavailable: "Chromium found no WebGPU adapter" });
    log(
      `webgpu adapter: ${adapter.vendor} ${adapter.architecture} ${adapter.description ?? ""}${adapter.software ? " (software: the figures only prove the harness runs)" : ""}`,
    );
    let cases = opts.cases ? [...opts.cases] : filterCases(opts.quick ? webgpuQuickCases() : webgpuCases(), opts.only);
    const skipped = adapter.software && !opts.full && !opts.cases ? cases.filter((c) => SOFTWARE_SKIPPED.includes(c.id)).map((c) => c.id) : [];
    cases = cases.filter((c) => !skipped.includes(c.id));
    const sampling = opts.sampling ?? (opts.quick ? SMOKE_SAMPLING : adapter.software ? QUICK_SAMPLING : FULL_SAMPLING);
    const pass = await page.evaluate(([c, s]) => (globalThis as unknown as { polychipBench: BenchPage }).polychipBench.run(c, s), [cases, sampling] as const);
    return finish({ browser: browser.version(), adapter, skipped, sampling, pass });
  } finally {
    await browser.close();
    await server.close();
  }
}

export function renderWebGpuReport(r: WebGpuReport, format: Format): string {
  const md = format === "markdown";
  const item = (s: string) => (md ? `- ${s}` : s);
  const a = r.adapter;
  const lines = [
    md ? "## webgpu" : "Polychip bench — WebGPU in headless Chromium",
    "",
    item(`machine: ${describeMachine(r.machine)}`),
    item(`command: \`${r.command}\``),
    item(`browser: Chromium ${r.browser ?? "?"} (${CHROMIUM_ARGS.join(" ")})`),
    item(`adapter: ${a?.available ? `${a.vendor} / ${a.architecture} / ${a.description || a.device || "?"}` : "none"}`),
  ];
  if (a?.software) lines.push(item("SOFTWARE ADAPTER (SwiftShader on the CPU): these figures only prove the harness runs; they say nothing about GPU speed."));
  if (r.skipped.length) lines.push(item(`left out on the software adapter: ${r.skipped.join(", ")} (--webgpu-full runs them)`));
  if (r.unavailable) lines.push(item(`not measured: ${r.unavailable}`));
  if (r.pass) lines.push(renderPass(r.pass, format, "webgpu"));
  lines.push("", md ? "### goals (issue 4)" : "\n═══ goals (issue 4) ═══", "", renderTable(goalsTable(r.goals), format));
  lines.push("", item(`wall time: ${(r.seconds / 60).toFixed(1)} min; ${describeLoad(r.machine, r.loadAtEnd)}`));
  return lines.join("\n");
}
