import { cpus, loadavg, totalmem } from "node:os";

export interface MachineInfo {
  readonly date: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  /** 1-minute load average when the run started: above the core count, other work was competing for the cores. */
  readonly loadAtStart: number;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    date: new Date().toISOString(),
    cpu: list[0]?.model.trim() ?? "unknown",
    cores: list.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadAtStart: loadavg()[0]!,
  };
}

export function describeMachine(m: MachineInfo): string {
  return `${m.date.slice(0, 16).replace("T", " ")} UTC · ${m.cpu}, ${m.cores} cores (nproc), ${m.memoryGiB} GiB · Node ${m.node} · ${m.platform}`;
}

/** The load before and after, so a reader can tell a quiet machine from a busy one. */
export function describeLoad(m: MachineInfo, loadAtEnd: number): string {
  const busy = Math.max(m.loadAtStart, loadAtEnd) > m.cores * 1.25;
  return `load average ${m.loadAtStart.toFixed(1)} at start, ${loadAtEnd.toFixed(1)} at end on ${m.cores} cores${busy ? " — other work was competing for the cores: treat the figures as noisy" : ""}`;
}

export const currentLoad = (): number => loadavg()[0]!;
