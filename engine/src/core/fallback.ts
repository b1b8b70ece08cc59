import { UnsupportedOpError, type DType } from "@polychip/hal";

export type FallbackPolicy = "allow" | "warn-once" | "error";

export interface FallbackRecord {
  device: string;
  op: string;
  dtype: DType;
  reason: string;
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
  const key = `${device}/${op}/${dtype}`;
  let rec = records.get(key);
  if (!rec) {
    rec = { device, op, dtype, reason, count: 0, bytesToHost: 0, bytesToDevice: 0 };
    records.set(key, rec);
    if (policy === "warn-once") warn(`polychip: ${op} (${dtype}) falls back to cpu on '${device}': ${reason}`);
  }
  rec.count++;
  return rec;
}
