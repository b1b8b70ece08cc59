/**
 * What to tell a user before they press Run on a device: whether its adapter is a software one,
 * which ops of this very code fall back to the CPU there (from a dry run of its first step), or
 * else which fell back the last time this device ran their code (with the bytes that moved), or
 * which primitive ops it has no kernel for.
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

/** A dry run of the current code on a device (its first logged step, in a throwaway worker). */
export interface DryCheck {
  device: string;
  /** codeHash of the code it ran. */
  code: string;
  state: "checking" | "done" | "unfinished" | "failed";
  fallback: FallbackInfo[];
  /** Seconds a dry run may take before it is given up. */
  limitS: number;
}

function dryGuidance(device: string, dry: DryCheck): Guidance | undefined {
  const fell = dry.fallback.filter((f) => f.device === device);
  if (dry.state === "checking") return { level: "info", text: `Checking which ops of this code fall back on ${device}: a dry run of its first step…` };
  if (dry.state === "unfinished")
    return {
      level: "info",
      text: `A dry run of this code on ${device} did not reach its first logged step within ${dry.limitS} s, so it cannot say which ops fall back.`,
    };
  if (dry.state !== "done") return undefined;
  if (!fell.length)
    return { level: "info", text: `A dry run of this code's first step on ${device}: every op ran on ${device}, nothing fell back to the CPU.` };
  const moved = fell.reduce((s, f) => s + f.bytesToHost + f.bytesToDevice, 0);
  return {
    level: "warn",
    text: `A dry run of this code's first step on ${device}: ${fell.length} op${fell.length > 1 ? "s" : ""} will fall back to the CPU: ${list(fell.map((f) => `${f.op} (${f.dtype}) ×${f.count}`))}; ${formatBytes(moved)} moved in that step.`,
  };
}

/** For the device menu: " · N ops fall back" when a finished dry run of this code on `device` saw some. */
export function dryFallbackNote(dry: DryCheck | undefined, device: string): string {
  if (dry?.state !== "done" || dry.device !== device) return "";
  const n = new Set(dry.fallback.filter((f) => f.device === device).map((f) => f.op)).size;
  return n ? ` · ${n} op${n > 1 ? "s" : ""} fall${n > 1 ? "" : "s"} back` : "";
}

export function deviceGuidance(report: DeviceReport | undefined, lastFallback: FallbackInfo[] | undefined, lastRun?: LastRunOps, dry?: DryCheck): Guidance[] {
  if (!report || !report.available || report.name === "cpu") return [];
  const out: Guidance[] = [];
  if (report.softwareAdapter) {
    const adapter = report.details.architecture ?? report.details.description ?? "a CPU-emulated adapter";
    out.push({
      level: "warn",
      text: `${report.name} runs on a software adapter (${adapter}): the GPU is emulated on the CPU, so training is typically many times slower than on the cpu device.`,
    });
  }
  const fromDry = dry && dry.device === report.name ? dryGuidance(report.name, dry) : undefined;
  if (fromDry) {
    out.push(fromDry);
    // A finished dry run speaks for this very code: older runs' reports would only repeat or contradict it.
    if (dry!.state === "done") return out;
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
