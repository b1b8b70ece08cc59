import { PolychipError } from "@polychip/hal";
import { inferShapes } from "../graph/infer-shapes.ts";
import type { Graph, ValueInfo } from "../graph/ir.ts";
import type { HostTensor } from "../runtime/inputs.ts";
import { createSession } from "../runtime/session.ts";
import { createObserver, type ActivationRange, type Observer, type ObserverKind } from "./observers.ts";
import { findQuantUnits, observedValues } from "./quant-units.ts";

export type CalibrationBatch = Readonly<Record<string, HostTensor>>;

export interface CalibrationOptions {
  /** Default "percentile". */
  readonly observer?: ObserverKind;
  /** For the percentile observer; default 99.99. */
  readonly percentile?: number;
  /** Where the float32 graph runs; default "cpu", the reference. */
  readonly device?: string;
}

/** What calibration saw: a range per observed value, and how much data it came from. */
export interface Calibration {
  readonly observer: ObserverKind;
  readonly percentile?: number;
  readonly batches: number;
  /** Rows of the first input seen (images, for an image model). */
  readonly samples: number;
  readonly ranges: ReadonlyMap<string, ActivationRange>;
}

/**
 * Post-training calibration: runs the float32 graph over the batches and records the range of
 * the inputs and outputs of every quantisable layer (conv2d, linear, matmul by a weight). The
 * graph is run with those values added to its outputs, so nothing about the runtime changes.
 */
export async function calibrate(
  graph: Graph,
  batches: Iterable<CalibrationBatch> | AsyncIterable<CalibrationBatch>,
  options: CalibrationOptions = {},
): Promise<Calibration> {
  const observer = options.observer ?? "percentile";
  const types = inferShapes(graph);
  const watched = observedValues(findQuantUnits(graph, types));
  const observers = new Map<string, Observer>(watched.map((v) => [v, createObserver(observer, options.percentile)]));
  const extra: ValueInfo[] = watched.filter((v) => !graph.outputs.some((o) => o.name === v)).map((v) => types.get(v)!);
  const session = await createSession({ ...graph, outputs: [...graph.outputs, ...extra] }, { device: options.device ?? "cpu" });
  let count = 0;
  let samples = 0;
  try {
    for await (const batch of batches) {
      const results = await session.run(batch);
      for (const [name, obs] of observers) obs.observe(results[name]!.data);
      count++;
      samples += Object.values(batch)[0]?.shape[0] ?? 0;
    }
  } finally {
    session.dispose();
  }
  if (count === 0) throw new PolychipError(`calibrate '${graph.name}': no calibration batches were given`);
  return {
    observer,
    percentile: observer === "percentile" ? (options.percentile ?? 99.99) : undefined,
    batches: count,
    samples,
    ranges: new Map([...observers].map(([name, obs]) => [name, obs.range()])),
  };
}
