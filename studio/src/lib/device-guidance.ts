/**
 * What to tell a user before they press Run on a device: whether its adapter is a software one,
 * which ops fell back to the CPU the last time this device ran their code (with the bytes that
 * moved), or else which primitive ops it has no kernel for.
 */
import type { DeviceReport, FallbackInfo } from "../worker/protocol.ts";
import { formatBytes } from "./ticks.ts";

export interface Guidance {
  level: "warn" | "info";
  text: string;
}

const LISTED = 6;

function list(names: string[]): string {
  return names.length > LISTED ? `${names.slice(0, LISTED).join(", ")} and ${names.length - LISTED} more` : names.join(", ");
}

/** The ops the last run computed, and on which device (the profiler's kernel rows). */
export interface LastRunOps {
  device: string;
  ops: readonly string[];
}

export function deviceGuidance(report: DeviceReport | undefined, lastFallback: FallbackInfo[] | undefined, lastRun?: LastRunOps): Guidance[] {
  if (!report || !report.available || report.name === "cpu") return [];
  const out: Guidance[] = [];
  if (report.softwareAdapter) {
    const adapter = report.details.architecture ?? report.details.description ?? "a CPU-emulated adapter";
    out.push({
      level: "warn",
      text: `${report.name} runs on a software adapter (${adapter}): the GPU is emulated on the CPU, so training is typically many times slower than on the cpu device.`,
    });
  }
  if (lastFallback && lastFallback.length) {
    const moved = lastFallback.reduce((s, f) => s + f.bytesToHost + f.bytesToDevice, 0);
    const ops = lastFallback.map((f) => `${f.op} (${f.dtype}) ×${f.count}`);
    out.push({
      level: "warn",
      text: `Last time ${report.name} ran your code, ${lastFallback.length} op${lastFallback.length > 1 ? "s" : ""} fell back to the CPU: ${list(ops)}; ${formatBytes(moved)} moved between the devices.`,
    });
  } else if (lastFallback === undefined && report.noKernel?.length && lastRun && lastRun.device !== report.name && lastRun.ops.length) {
    // The last run elsewhere says which ops this code uses: only those can fall back here.
    const missing = report.noKernel.filter((op) => lastRun.ops.includes(op));
    out.push(
      missing.length
        ? {
            level: "warn",
            text: `Your last run (on ${lastRun.device}) used ${missing.length} op${missing.length > 1 ? "s" : ""} ${report.name} has no kernel for: ${list(missing)}. On ${report.name} they will run on the CPU, with a transfer each way.`,
          }
        : { level: "info", text: `Every op your last run (on ${lastRun.device}) used has a kernel on ${report.name}.` },
    );
  } else if (lastFallback === undefined && report.noKernel?.length) {
    out.push({
      level: "info",
      text: `${report.name} has no kernel for ${report.noKernel.length} primitive op${report.noKernel.length > 1 ? "s" : ""} (${list(report.noKernel)}): any your code uses runs on the CPU, with a transfer each way.`,
    });
  }
  return out;
}

/** Fallbacks seen per device, updated by a finished run: devices it reported replace their entry; the run's own device is clean if it reported none. */
export function recordFallbacks(seen: Readonly<Record<string, FallbackInfo[]>>, runDevice: string, fallback: FallbackInfo[]): Record<string, FallbackInfo[]> {
  const next: Record<string, FallbackInfo[]> = { ...seen, [runDevice]: [] };
  for (const f of fallback) next[f.device] = [];
  for (const f of fallback) next[f.device]!.push(f);
  return next;
}
