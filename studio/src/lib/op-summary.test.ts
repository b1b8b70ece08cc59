import { test } from "node:test";
import assert from "node:assert/strict";
import { OpSummary } from "./op-summary.ts";

test("rows add up count and time per device and op, largest first, with shares", () => {
  const s = new OpSummary();
  s.add([
    { device: "cpu", name: "matmul", category: "kernel", start: 0, duration: 3 },
    { device: "cpu", name: "matmul", category: "kernel", start: 3, duration: 3 },
    { device: "cpu", name: "add", category: "kernel", start: 6, duration: 2 },
  ]);
  const rows = s.rows();
  assert.deepEqual(
    rows.map((r) => [r.name, r.count, r.totalMs, r.maxMs]),
    [
      ["matmul", 2, 6, 3],
      ["add", 1, 2, 2],
    ],
  );
  assert.equal(rows[0]!.share, 0.75);
  assert.equal(s.eventCount, 3);
});

test("NPU cycles and DMA bytes are summed, other numbers keep their maximum", () => {
  const s = new OpSummary();
  const npu = (cycles: number, onChip: number) => ({
    device: "npu-sim",
    name: "conv2d",
    category: "kernel" as const,
    start: 0,
    duration: 1,
    args: { cycles, dmaBytes: 100, onChipBytes: onChip },
  });
  s.add([npu(10, 500), npu(30, 200)]);
  assert.deepEqual(s.rows()[0]!.argTotals, { cycles: 40, dmaBytes: 200, onChipBytes: 500 });
});

test("the same op on two devices, or as a fallback, is two rows", () => {
  const s = new OpSummary();
  s.add([
    { device: "webgpu", name: "erf", category: "fallback", start: 0, duration: 1 },
    { device: "cpu", name: "erf", category: "kernel", start: 0, duration: 1 },
  ]);
  assert.equal(s.rows().length, 2);
});

test("events named by shader keys share one row named by their op, the keys kept for its tooltip", () => {
  const s = new OpSummary();
  const compile = (name: string) => ({ device: "webgpu", name, category: "compile" as const, start: 0, duration: 1 });
  s.add([
    compile("map|ew:mul:f32:cc:r1|float32,float32->float32"),
    compile("map|ew:mul:f32:cs:r2|float32,float32->float32"),
    compile("map|ew:mul:f32:cc:r1|float32,float32->float32"),
  ]);
  const [row] = s.rows();
  assert.equal(row!.name, "mul");
  assert.equal(row!.count, 3);
  assert.deepEqual(row!.keys, ["map|ew:mul:f32:cc:r1|float32,float32->float32", "map|ew:mul:f32:cs:r2|float32,float32->float32"]);
});

test("a fused kernel's row keeps each program it ran, by the member ops its events name", () => {
  const s = new OpSummary();
  const fused = (ops: string, duration: number) => ({
    device: "webgpu",
    name: "fused",
    category: "kernel" as const,
    start: 0,
    duration,
    args: { ops, outputs: 1 },
  });
  s.add([fused("mul add relu", 2), fused("mul add relu", 3), fused("sub exp", 1)]);
  const [row] = s.rows();
  assert.deepEqual(row!.programs, [
    { ops: ["mul", "add", "relu"], count: 2, totalMs: 5 },
    { ops: ["sub", "exp"], count: 1, totalMs: 1 },
  ]);
});
