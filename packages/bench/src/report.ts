import type { GoalResult } from "./goals.ts";
import { speedRatio } from "./goals.ts";
import type { CaseResult, Entry, PassResult } from "./pass.ts";
import { AGREEMENT_TOLERANCE } from "./pass.ts";
import { byRunnerOrder } from "./runner-order.ts";
import type { RunnerInfo } from "./runners/types.ts";
import { renderMarkdown, renderText, type Table } from "./table.ts";

export function formatMs(ms: number): string {
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** Two decimals below 1 GFLOP/s (software adapters), one above. */
export const formatGflops = (g: number): string => g.toFixed(g < 1 ? 2 : 1);

export function formatRatio(r: number): string {
  return r >= 10 ? `${r.toFixed(0)}×` : r >= 1 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`;
}

/** Runner ids in column order: the ones that took part in this pass, then any reused from another. */
function columns(pass: PassResult): string[] {
  const seen = new Set<string>();
  for (const info of pass.runners) seen.add(info.id);
  for (const c of pass.cases) for (const id of Object.keys(c.entries)) seen.add(id);
  return [...seen].sort(byRunnerOrder);
}

function label(pass: PassResult, id: string): string {
  return pass.runners.find((r) => r.id === id)?.label ?? id;
}

function shortStatus(e: Entry): string {
  if (e.status === "ok") return "";
  if (e.status === "error") return "error";
  return e.reason.startsWith("cannot train") ? "cannot train" : "n/a";
}

function medianCell(c: CaseResult, e: Entry | undefined): string {
  if (!e) return "—";
  if (e.status !== "ok") return shortStatus(e);
  const gf = e.gflops !== undefined ? ` (${formatGflops(e.gflops)} GF/s)` : "";
  const reused = e.reusedFromThreads !== undefined ? "¹" : "";
  const disagrees = e.agreement && e.agreement.relativeDifference > AGREEMENT_TOLERANCE ? " ≠" : "";
  return `${formatMs(e.summary.median)}${gf}${reused}${disagrees}`;
}

export function mediansTable(pass: PassResult): Table {
  const ids = columns(pass);
  return { headers: ["case", ...ids.map((id) => label(pass, id))], rows: pass.cases.map((c) => [c.id, ...ids.map((id) => medianCell(c, c.entries[id]))]) };
}

/** Polychip's runner in a pass: the cpu one, or polychip-webgpu in the WebGPU pass. */
export function subjectOf(pass: PassResult): string {
  return columns(pass).find((id) => id.startsWith("polychip")) ?? "polychip";
}

/** Polychip's speed against each peer: peer median / Polychip median, above 1 = Polychip faster. */
export function ratiosTable(pass: PassResult): Table {
  const subject = subjectOf(pass);
  const peers = columns(pass).filter((id) => id !== subject);
  return {
    headers: ["case", ...peers.map((id) => `vs ${label(pass, id)}`)],
    rows: pass.cases.map((c) => [
      c.id,
      ...peers.map((id) => {
        const r = speedRatio(c, id, subject);
        return r === undefined ? "—" : formatRatio(r);
      }),
    ]),
  };
}

/** Every figure with its spread: median, min, max and the number of runs. */
export function detailsTable(pass: PassResult): Table {
  const rows: string[][] = [];
  for (const c of pass.cases) {
    for (const [id, e] of Object.entries(c.entries)) {
      if (e.status !== "ok") continue;
      const agree = e.agreement
        ? `${e.agreement.relativeDifference.toExponential(1)} vs ${e.agreement.vs}`
        : e.firstLoss !== undefined
          ? `loss ${e.firstLoss.toFixed(4)}`
          : "";
      rows.push([
        c.id,
        label(pass, id),
        formatMs(e.summary.median),
        formatMs(e.summary.min),
        formatMs(e.summary.max),
        String(e.summary.runs),
        e.gflops !== undefined ? formatGflops(e.gflops) : "",
        agree,
      ]);
    }
  }
  return { headers: ["case", "runner", "median", "min", "max", "runs", "GFLOP/s", "check"], rows, align: ["l", "l", "r", "r", "r", "r", "r", "l"] };
}

export function notes(pass: PassResult): string[] {
  const out: string[] = [];
  for (const info of pass.runners) out.push(`${info.label}: ${info.detail}`);
  for (const [id, why] of Object.entries(pass.unavailable)) out.push(`${id}: ${why}`);
  const reasons = new Map<string, string[]>();
  for (const c of pass.cases) {
    for (const [id, e] of Object.entries(c.entries)) {
      if (e.status === "ok") {
        if (e.reusedFromThreads !== undefined)
          reasons.set(`${label(pass, id)}: ¹ single-threaded here, figure from the ${e.reusedFromThreads}-thread pass`, []);
        if (e.agreement && e.agreement.relativeDifference > AGREEMENT_TOLERANCE)
          out.push(`≠ ${c.id} ${id}: output differs from ${e.agreement.vs} by ${e.agreement.relativeDifference.toExponential(1)} (relative)`);
        continue;
      }
      const key = `${label(pass, id)}: ${e.status === "unsupported" ? e.reason : `error: ${e.message}`}`;
      reasons.set(key, [...(reasons.get(key) ?? []), c.id]);
    }
  }
  for (const [text, cases] of reasons) out.push(cases.length ? `${text} (${cases.join(", ")})` : text);
  return out;
}

export function goalsTable(goals: readonly GoalResult[]): Table {
  // The WebGPU goals have no thread count: leave the column out rather than print it empty.
  if (goals.every((g) => g.threads === undefined)) {
    return { headers: ["goal", "target", "measured", "status"], rows: goals.map((g) => [g.goal, g.target, g.measured, g.status]), align: ["l", "l", "l", "l"] };
  }
  return {
    headers: ["goal", "threads", "target", "measured", "status"],
    rows: goals.map((g) => [g.goal, g.threads === undefined ? "" : String(g.threads), g.target, g.measured, g.status]),
    align: ["l", "r", "l", "l", "l"],
  };
}

export type Format = "text" | "markdown";

export function renderTable(t: Table, format: Format): string {
  return format === "markdown" ? renderMarkdown(t) : renderText(t);
}

export function renderPass(pass: PassResult, format: Format, title = `cpu, ${pass.threads} thread${pass.threads === 1 ? "" : "s"}`): string {
  const h = (s: string) => (format === "markdown" ? `#### ${s}` : `── ${s} ──`);
  const bullet = (s: string) => (format === "markdown" ? `- ${s}` : `  • ${s}`);
  return [
    "",
    format === "markdown" ? `### ${title} (${pass.seconds.toFixed(0)} s)` : `\n═══ ${title} (${pass.seconds.toFixed(0)} s) ═══`,
    "",
    h("medians (GF/s for matmul and conv2d)"),
    "",
    renderTable(mediansTable(pass), format),
    "",
    h("Polychip's speed against each peer (peer time ÷ Polychip time; above 1× = Polychip faster)"),
    "",
    renderTable(ratiosTable(pass), format),
    "",
    h("every figure: median, min, max, runs; check = output difference from the reference, or the first step's loss"),
    "",
    renderTable(detailsTable(pass), format),
    "",
    h("runners and notes"),
    "",
    ...notes(pass).map(bullet),
  ].join("\n");
}

export function describeRunners(runners: readonly RunnerInfo[]): string {
  return runners.map((r) => `${r.label} (${r.threads}T)`).join(", ");
}
