import { UnsupportedOpError, type DType } from "@polychip/hal";

export type FallbackPolicy = "allow" | "warn-once" | "error";

export interface FallbackRecord {
  device: string;
  op: string;
  dtype: DType;
  reason: string;
  /** "cpu": the op ran on the CPU; "op-by-op": a claimed subgraph ran node by node on its own device. */
  to: "cpu" | "op-by-op";
  count: number;
  bytesToHost: number;
  bytesToDevice: number;
}

let policy: FallbackPolicy = "warn-once";
const records = new Map<string, FallbackRecord>();
let warn: (message: string) => void = (m) => console.warn(m);

/** "allow": fall back silently; "warn-once" (default): one warning per (device, op, dtype); "error": refuse. */
export function setFallbackPolicy(p: FallbackPolicy): void {
  policy = p;
}

export function getFallbackPolicy(): FallbackPolicy {
  return policy;
}

export function setWarningHandler(handler: (message: string) => void): void {
  warn = handler;
}

export function fallbackReport(): FallbackRecord[] {
  return [...records.values()].map((r) => ({ ...r }));
}

export function resetFallbackReport(): void {
  records.clear();
}

/** Called before each fallback: applies the policy and counts it. */
export function noteFallback(device: string, op: string, dtype: DType, reason: string): FallbackRecord {
  if (policy === "error") {
    throw new UnsupportedOpError(`${op} (${dtype}) cannot run on '${device}': ${reason}; CPU fallback is disabled (setFallbackPolicy('error'))`);
  }
  return count(device, op, dtype, reason, "cpu", `falls back to cpu on '${device}': ${reason}`);
}

/**
 * A claimed subgraph whose program threw: its nodes run op by op on the same device, so nothing
 * leaves it because of this (any node that does fall back is reported, and refused, on its own).
 * Counted and warned once like a fallback, never refused by the error policy.
 */
export function noteClaimRanOpByOp(device: string, claim: string, dtype: DType, reason: string): FallbackRecord {
  return count(device, `claim ${claim}`, dtype, reason, "op-by-op", `ran op by op on '${device}': ${reason}`);
}

function count(device: string, op: string, dtype: DType, reason: string, to: FallbackRecord["to"], message: string): FallbackRecord {
  const key = `${device}/${op}/${dtype}`;
  let rec = records.get(key);
  if (!rec) {
    rec = { device, op, dtype, reason, to, count: 0, bytesToHost: 0, bytesToDevice: 0 };
    records.set(key, rec);
    if (policy === "warn-once") warn(`polychip: ${op} (${dtype}) ${message}`);
  }
  rec.count++;
  return rec;
}
