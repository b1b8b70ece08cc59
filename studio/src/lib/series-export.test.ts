import { test } from "node:test";
import assert from "node:assert/strict";
import type { MetricPoint } from "../user-api/run-context.ts";
import { seriesToCsv, seriesToJson, throughput } from "./series-export.ts";

const points: MetricPoint[] = [
  { step: 0, time: 0, values: { loss: 2.3 }, samples: 32 },
  { step: 1, time: 500, values: { loss: 2.1, accuracy: 0.25 }, samples: 32 },
];

test("CSV has one column per metric and blanks where a step lacks one", () => {
  assert.equal(seriesToCsv(points), "step,time_ms,loss,accuracy,samples\n0,0.000,2.3,,32\n1,500.000,2.1,0.25,32\n");
});

test("JSON lists the metrics and the points", () => {
  const parsed = JSON.parse(seriesToJson(points));
  assert.deepEqual(parsed.metrics, ["loss", "accuracy"]);
  assert.equal(parsed.points.length, 2);
});

test("throughput is examples per second when samples are given", () => {
  assert.deepEqual(throughput(points), [{ step: 1, time: 500, perSecond: 64, unit: "examples/s" }]);
});

test("throughput is steps per second otherwise", () => {
  const t = throughput([
    { step: 0, time: 0, values: {} },
    { step: 10, time: 2000, values: {} },
  ]);
  assert.deepEqual(t, [{ step: 10, time: 2000, perSecond: 5, unit: "steps/s" }]);
});
