/**
 * A readable op name for a profiler row. Devices may name events by their full cache key (the
 * webgpu device names a shader compile `map|ew:mul:f32:cc:r1|float32,float32->float32|…`): the row
 * shows the op ("mul") and keeps the key for its tooltip.
 */
const PREFIXES = new Set(["ew", "map"]);

export function shortOpName(name: string): string {
  // A fused kernel's pipeline key holds its program, a JSON list of steps.
  if (name.includes('[{"op"')) return "fused";
  if (!name.includes("|") && !name.includes(":")) return name;
  const segment = name.split("|").find((s) => s.includes(":")) ?? name.split("|")[0]!;
  const parts = segment.split(":").filter((p) => p.length > 0);
  const op = parts.find((p) => !PREFIXES.has(p)) ?? parts[0] ?? name;
  return op.length > 40 ? `${op.slice(0, 39)}…` : op;
}
