import { test } from "node:test";
import assert from "node:assert/strict";
import type { ProfileEvent } from "@polychip/hal";
import { nestingProblems, toChromeTrace, trackOf } from "./chrome-trace.ts";

const kernel = (name: string, start: number, duration: number, device = "cpu"): ProfileEvent => ({ device, name, category: "kernel", start, duration });

test("kernels nest inside the step that ran them, on their device's track", () => {
  const trace = toChromeTrace([kernel("matmul", 101, 2), kernel("conv2d", 104, 3)], [{ step: 0, start: 100, end: 110 }], 100);
  const complete = trace.traceEvents.filter((e) => e.ph === "X");
  assert.deepEqual(
    complete.map((e) => [e.name, e.ts, e.dur]),
    [
      ["step 0", 0, 10000],
      ["matmul", 1000, 2000],
      ["conv2d", 4000, 3000],
    ],
  );
  assert.equal(new Set(complete.map((e) => e.tid)).size, 1);
  assert.deepEqual(nestingProblems(trace), []);
});

test("a child that overruns its parent is clipped and marked", () => {
  const trace = toChromeTrace([kernel("matmul", 8, 5)], [{ step: 3, start: 0, end: 10 }]);
  const mm = trace.traceEvents.find((e) => e.name === "matmul")!;
  assert.equal(mm.dur, 2000);
  assert.equal(mm.args?.clipped, true);
  assert.deepEqual(nestingProblems(trace), []);
});

test("transfers get their own track and each track is named", () => {
  const events: ProfileEvent[] = [
    kernel("add", 0, 1, "webgpu"),
    { device: "webgpu", name: "read", category: "transfer", start: 0.5, duration: 2, args: { bytes: 64 } },
  ];
  const trace = toChromeTrace(events, []);
  const names = trace.traceEvents.filter((e) => e.name === "thread_name").map((e) => e.args?.name);
  assert.deepEqual(names, ["webgpu", "webgpu transfers"]);
  assert.equal(trackOf(events[1]!), "webgpu transfers");
  assert.deepEqual(nestingProblems(trace), []);
});

test("the nesting check finds partial overlaps", () => {
  const problems = nestingProblems({
    traceEvents: [
      { name: "a", ph: "X", ts: 0, dur: 10, pid: 1, tid: 1 },
      { name: "b", ph: "X", ts: 5, dur: 10, pid: 1, tid: 1 },
    ],
  });
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /'b' at 5 overlaps the end of 'a'/);
});

test("the trace is plain JSON", () => {
  const trace = toChromeTrace([kernel("relu", 1, 1)], [{ step: 1, start: 0, end: 3 }]);
  assert.deepEqual(JSON.parse(JSON.stringify(trace)), trace);
  assert.equal(trace.displayTimeUnit, "ms");
});

test("data loading gets its own track, outside the steps of the compute tracks", () => {
  const trace = toChromeTrace([kernel("matmul", 101, 2)], [{ step: 0, start: 100, end: 110 }], 0, {}, [{ name: "load Fashion-MNIST", start: 20, end: 100 }]);
  const thread = trace.traceEvents.find((e) => e.name === "thread_name" && e.args?.name === "data loading")!;
  const load = trace.traceEvents.find((e) => e.name === "load Fashion-MNIST")!;
  assert.deepEqual([load.tid, load.cat, load.ts, load.dur], [thread.tid, "data", 20000, 80000]);
  assert.ok(!trace.traceEvents.some((e) => e.tid === thread.tid && e.name.startsWith("step")), "no step spans on the data track");
});

test("module and op ranges go on the host track and nest step → module → op → kernel, even when their times tie", () => {
  const ranges = [
    { name: "matmul", kind: "op" as const, start: 102, duration: 3, depth: 2 },
    { name: "Sequential/Linear[0]", kind: "module" as const, start: 102, duration: 3, depth: 1 },
    { name: "Sequential", kind: "module" as const, start: 101, duration: 6, depth: 0 },
  ];
  const trace = toChromeTrace([kernel("matmul", 102.5, 2)], [{ step: 0, start: 100, end: 110 }], 100, {}, [], ranges);
  const complete = trace.traceEvents.filter((e) => e.ph === "X");
  assert.deepEqual(
    complete.map((e) => `${e.cat}:${e.name}`),
    ["step:step 0", "module:Sequential", "module:Sequential/Linear[0]", "op:matmul", "kernel:matmul"],
  );
  assert.equal(new Set(complete.map((e) => e.tid)).size, 1, "one track: the cpu's");
  assert.deepEqual(nestingProblems(trace), []);
});
