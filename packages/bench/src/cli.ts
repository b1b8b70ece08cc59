import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseBenchArgs, USAGE } from "./args.ts";
import { runCpuBench, type CpuBenchReport } from "./cpu-bench.ts";
import { describeEpoch } from "./epoch.ts";
import { describeLoad, describeMachine } from "./machine.ts";
import { goalsTable, renderPass, renderTable, type Format } from "./report.ts";
import { renderWebGpuReport, runWebGpuBench, type WebGpuReport } from "./webgpu/webgpu-bench.ts";

/** pnpm runs the script in the package folder; paths on the command line are relative to where it was typed. */
const fromInvocation = (path: string) => resolve(process.env.INIT_CWD ?? process.cwd(), path);
/** `--json` with no file name: beside the package, ignored by git. */
const DEFAULT_JSON = fileURLToPath(new URL("../bench-results.json", import.meta.url));

export function renderCpuReport(r: CpuBenchReport, format: Format): string {
  const md = format === "markdown";
  const item = (s: string) => `${md ? "- " : ""}${s}`;
  const lines = [
    md ? `## cpu${r.quick ? " (--quick)" : ""}` : `Polychip bench${r.quick ? " (--quick: rough figures)" : ""}`,
    "",
    item(`machine: ${describeMachine(r.machine)}`),
    item(`command: \`${r.command}\``),
    ...(r.passes.length
      ? [
          item(
            `runs: median after warm-up (at least ${r.sampling.warmupRuns} run(s) and ${r.sampling.warmupSeconds} s, at most ${r.sampling.maxWarmupRuns} runs; one run for a slow job), at least ${r.sampling.minRuns} runs (3 or fewer for a job slower than ${r.sampling.slowRunSeconds} s a run) and up to ${r.sampling.maxRuns} within ${r.sampling.budgetSeconds} s; runners take turns within each case`,
          ),
        ]
      : []),
    item(`wall time: ${(r.seconds / 60).toFixed(1)} min; ${describeLoad(r.machine, r.loadAtEnd)}`),
  ];
  for (const pass of r.passes) lines.push(renderPass(pass, format));
  if (r.epoch) {
    lines.push("", md ? "### Fashion-MNIST CNN epoch" : "\n═══ Fashion-MNIST CNN epoch ═══", "");
    lines.push("error" in r.epoch ? `failed: ${r.epoch.error}` : describeEpoch(r.epoch));
  }
  const issue = r.models ? "issue 11, real models" : "issue 6";
  lines.push("", md ? `### goals (${issue})` : `\n═══ goals (${issue}) ═══`, "", renderTable(goalsTable(r.goals), format));
  return lines.join("\n");
}

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const command = `pnpm bench${
    process.argv.length > 2
      ? ` ${process.argv
          .slice(2)
          .filter((a) => a !== "--")
          .join(" ")}`
      : ""
  }`;
  let report: CpuBenchReport | WebGpuReport;
  let render: (format: Format) => string;
  if (args.webgpu) {
    const r = await runWebGpuBench({ quick: args.quick, only: args.only, full: args.webgpuFull, command });
    report = r;
    render = (format) => renderWebGpuReport(r, format);
  } else {
    const r = await runCpuBench({ ...args, command });
    report = r;
    render = (format) => renderCpuReport(r, format);
  }
  process.stdout.write(`${render("text")}\n`);
  if (args.json !== undefined) {
    const path = args.json === "" ? DEFAULT_JSON : fromInvocation(args.json);
    writeFileSync(path, `${JSON.stringify(report, null, 1)}\n`);
    process.stdout.write(`\nresults: ${path}\n`);
  }
  if (args.markdown) {
    writeFileSync(fromInvocation(args.markdown), `${render("markdown")}\n`);
    process.stdout.write(`markdown: ${fromInvocation(args.markdown)}\n`);
  }
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).message}\n`);
  process.exit(1);
});
