import { basename } from "node:path";
import { PolychipError, UnsupportedOpError } from "@polychip/hal";
import { createSession, type HostOutput } from "@polychip/engine/runtime";
import { DEFAULT_TOLERANCE, type Tolerance } from "./conformance/compare.ts";
import { compareValue, hostValue, readTestValue, type TestValue } from "./conformance/values.ts";
import { assembleValue, flattenValue, layoutTensors, type OnnxValue, type ValueLayout } from "./containers.ts";
import { dataSets, readBytes, tensorFiles, findTests, type TestCase } from "./conformance/discover.ts";
import { failingNode, importModelProto } from "./import/importer.ts";
import { decodeModel } from "./proto/codec.ts";
import type { TypeProto, ValueInfoProto } from "./proto/types.ts";
import { OnnxSession } from "./session.ts";
import type { HostTensor } from "./tensor.ts";
import { isStringTensor, type StringTensor } from "./strings.ts";

export { findTests, type TestCase } from "./conformance/discover.ts";
export { compareTensors, DEFAULT_TOLERANCE, type Tolerance } from "./conformance/compare.ts";
export { loadExpectations, checkExpectations, type Expectations, type ExpectationReport } from "./conformance/expectations.ts";

/** pass; fail (wrong values, or an error that is not "unsupported"); skip (the model uses something Polychip does not support). */
export type TestStatus = "pass" | "fail" | "skip";

export interface TestResult {
  readonly name: string;
  readonly dir: string;
  readonly status: TestStatus;
  /** Largest |got − expected| over all outputs (absent when nothing ran). */
  readonly maxAbsError?: number;
  /** For skips and import failures: the ONNX op the importer stopped at. */
  readonly op?: string;
  readonly reason?: string;
  /** Graph inputs whose test values were frozen into the graph because a lowering needed them statically. */
  readonly frozenInputs?: readonly string[];
  /**
   * Values an import needed that the test computes from its inputs, so OnnxSession computed them
   * per run (the plain import stopped at one); graph inputs among them were read from the feeds.
   */
  readonly runTimeValues?: readonly string[];
  /** The distinct ONNX op types of the model's graph (for the per-op summary). */
  readonly ops?: readonly string[];
  readonly ms: number;
}

export interface ConformanceOptions extends Partial<Tolerance> {
  readonly device?: string;
  /** Called after each test, in order (the CLI prints a line). */
  readonly onResult?: (result: TestResult) => void;
}

export interface ConformanceSummary {
  readonly results: TestResult[];
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
}

/** Runs every backend node test found under `paths` on one device. */
export async function runConformance(paths: readonly string[], options: ConformanceOptions = {}): Promise<ConformanceSummary> {
  const tests = await findTests(paths);
  const results: TestResult[] = [];
  for (const test of tests) {
    const result = await runTest(test, options);
    results.push(result);
    options.onResult?.(result);
  }
  return summarize(results);
}

export function summarize(results: TestResult[]): ConformanceSummary {
  const count = (s: TestStatus) => results.filter((r) => r.status === s).length;
  return { results, passed: count("pass"), failed: count("fail"), skipped: count("skip") };
}

/** Each data set runs this often in one session: the first run goes node by node, later ones run the session's plan. */
const RUNS_PER_SET = 2;

/** One data set: each input as its ONNX value and as the tensors the graph's edge carries, and the expected outputs. */
interface DataSet {
  readonly name: string;
  /** Each run-time input's value by name: a tensor, a sequence (an array), an optional (null when absent). */
  readonly values: Record<string, OnnxValue<HostTensor> | StringTensor>;
  /** The tensors crossing the graph's edge: sequences and optionals flattened (containers.ts). */
  readonly byName: Record<string, HostTensor>;
  readonly inputLayouts: Record<string, ValueLayout>;
  readonly inputShapes: Record<string, readonly number[]>;
  /** The STRING inputs (kept on the host, given to the import). */
  readonly strings: Record<string, StringTensor>;
  readonly expected: TestValue[];
}

type Output = OnnxValue<HostOutput> | StringTensor;

/**
 * One test: import the model (per data set), run it twice, compare every output of both runs.
 *
 * A model whose import needs a value only a run computes (a function expansion's Range limit or
 * Pad pads computed from an input, a Squeeze of dims that are sizes once the shapes are bound)
 * runs through OnnxSession instead, as a user would run it: the session computes such values per
 * run and keeps a plan per signature and value. The result then names those values.
 */
export async function runTest(test: TestCase, options: ConformanceOptions = {}): Promise<TestResult> {
  const started = performance.now();
  const tol: Tolerance = { rtol: options.rtol ?? DEFAULT_TOLERANCE.rtol, atol: options.atol ?? DEFAULT_TOLERANCE.atol };
  let ops: string[] | undefined;
  const done = (r: Omit<TestResult, "name" | "dir" | "ms">): TestResult => ({
    name: test.name,
    dir: test.dir,
    ...r,
    ...(ops ? { ops } : {}),
    ms: Math.round(performance.now() - started),
  });
  let maxAbsError = 0;
  const frozen = new Set<string>();
  const perRun = new Set<string>();
  let session: OnnxSession | undefined;
  try {
    const model = decodeModel(await readBytes(`${test.dir}/model.onnx`));
    ops = [...new Set((model.graph?.node ?? []).map((n) => n.opType ?? ""))].sort();
    const sets = await dataSets(test.dir);
    if (sets.length === 0) return done({ status: "fail", reason: "no test_data_set_N folder" });
    const declaredInputs = runtimeInputs(model);
    const declaredOutputs = model.graph?.output ?? [];
    for (const dir of sets) {
      const set = await readDataSet(dir, declaredInputs, declaredOutputs);
      if (set.expected.length !== declaredOutputs.length)
        return done({ status: "fail", reason: `${set.expected.length} expected outputs, the model has ${declaredOutputs.length}` });
      const runs: Record<string, Output>[] = [];
      let imported;
      try {
        imported = session
          ? undefined
          : importModelProto(model, {
              resolveInput: (name) => set.byName[name],
              inputLayouts: set.inputLayouts,
              inputShapes: set.inputShapes,
              strings: set.strings,
            });
      } catch (err) {
        if (!(err instanceof UnsupportedOpError)) return done({ status: "fail", ...failedAt(err) });
      }
      if (imported) {
        imported.frozenInputs.forEach((n) => frozen.add(n));
        const graph = imported.graph;
        const feeds: Record<string, HostTensor> = {};
        for (const info of graph.inputs) {
          const t = set.byName[info.name];
          if (!t) return done({ status: "fail", reason: `no test data for input '${info.name}'` });
          feeds[info.name] = t;
        }
        // Twice in one session: the second run is the plan a session resolves once per input signature.
        try {
          // A model whose outputs are all strings (computed at import) has no device part to run.
          const engine = graph.outputs.length > 0 ? await createSession(graph, { device: options.device ?? "cpu" }) : undefined;
          try {
            for (let r = 0; r < RUNS_PER_SET; r++) {
              const outputs = engine ? await engine.run(feeds) : {};
              const layouts = imported.outputLayouts;
              runs.push(
                Object.fromEntries(
                  declaredOutputs.map(({ name = "" }) => [
                    name,
                    imported.stringOutputs[name] ?? (layouts[name] ? assembleValue(layouts[name]!, outputs) : outputs[name]!),
                  ]),
                ),
              );
            }
          } finally {
            engine?.dispose();
          }
        } catch (err) {
          const status: TestStatus = err instanceof UnsupportedOpError ? "skip" : "fail";
          return done({ status, reason: `run ${runs.length + 1}: ${describe(err)}` });
        }
      } else {
        // The plain import needs a value only a run computes: the session computes it per run.
        session ??= await OnnxSession.create(model, { device: options.device ?? "cpu" });
        try {
          for (const name of Object.keys((await session.planFor(set.values)).assumed)) perRun.add(name);
          for (let r = 0; r < RUNS_PER_SET; r++) runs.push(await session.runValues(set.values));
        } catch (err) {
          if (runs.length === 0) return done({ status: err instanceof UnsupportedOpError ? "skip" : "fail", ...failedAt(err) });
          return done({ status: "fail", reason: `run ${runs.length + 1}: ${describe(err)}` });
        }
      }
      for (const [r, outputs] of runs.entries()) {
        for (const [i, info] of declaredOutputs.entries()) {
          const name = info.name ?? "";
          const expected = set.expected[i]!;
          const cmp = compareValue(outputs[name] as Output, expected, tol, "tensor" in expected ? "" : name);
          if (Number.isFinite(cmp.maxAbsError)) maxAbsError = Math.max(maxAbsError, cmp.maxAbsError);
          const which = r === 0 ? "" : ` (run ${r + 1}, planned)`;
          if (!cmp.ok)
            return done({ status: "fail", maxAbsError: cmp.maxAbsError, reason: `output '${name}'${which}: ${cmp.reason}`, ...frozenField(frozen, perRun) });
        }
      }
    }
    return done({ status: "pass", maxAbsError, ...frozenField(frozen, perRun) });
  } catch (err) {
    // A test whose data Polychip cannot hold (a map, a sparse tensor) is unsupported, not failed.
    return done({ status: err instanceof UnsupportedOpError ? "skip" : "fail", reason: describe(err) });
  } finally {
    session?.dispose();
  }
}

/** Reads a data set, each file as the type the model declares there (a tensor, a sequence, an optional). */
async function readDataSet(dir: string, declaredInputs: readonly ValueInfoProto[], declaredOutputs: readonly ValueInfoProto[]): Promise<DataSet> {
  const set = basename(dir);
  const read = async (f: string, type: TypeProto | undefined) => readTestValue(await readBytes(f), type, `${set}/${basename(f)}`);
  const inputs = await Promise.all((await tensorFiles(dir, "input")).map((f, i) => read(f, declaredInputs[i]?.type)));
  const expected = await Promise.all((await tensorFiles(dir, "output")).map((f, i) => read(f, declaredOutputs[i]?.type)));
  const values: Record<string, OnnxValue<HostTensor> | StringTensor> = {};
  const strings: Record<string, StringTensor> = {};
  const byName: Record<string, HostTensor> = {};
  const inputLayouts: Record<string, ValueLayout> = {};
  const inputShapes: Record<string, readonly number[]> = {};
  inputs.forEach((v, i) => {
    const declared = declaredInputs[i];
    const name = declared?.name ?? ("tensor" in v ? v.tensor.name : undefined) ?? `input_${i}`;
    const value = hostValue(v, `${set}/input_${i}.pb`);
    values[name] = value;
    if (isStringTensor(value)) {
      strings[name] = value;
      return;
    }
    const layout = flattenValue(name, declared?.type, value, byName);
    if (!("tensor" in layout)) {
      inputLayouts[name] = layout;
      for (const t of layoutTensors(layout)) inputShapes[t] = byName[t]!.shape;
    }
  });
  // A model with sequence inputs is planned for their lengths and shapes: its tensor inputs' shapes bind too (as OnnxSession binds them), so a symbol an element shares with a tensor input has one size.
  if (Object.keys(inputLayouts).length > 0) for (const v of declaredInputs) if (byName[v.name ?? ""]) inputShapes[v.name!] ??= byName[v.name!]!.shape;
  return { name: set, values, byName, inputLayouts, inputShapes, strings, expected };
}

/** Status fields for an import that stopped: the ONNX op it stopped at and why. */
function failedAt(err: unknown): Pick<TestResult, "op" | "reason"> {
  const node = failingNode(err);
  return { ...(node ? { op: node.opType } : {}), reason: describe(err) };
}

function frozenField(frozen: Set<string>, perRun: Set<string>) {
  return { ...(frozen.size > 0 ? { frozenInputs: [...frozen] } : {}), ...(perRun.size > 0 ? { runTimeValues: [...perRun] } : {}) };
}

/** The model's run-time inputs (graph inputs that are not initializers), in order. */
function runtimeInputs(model: ReturnType<typeof decodeModel>): ValueInfoProto[] {
  const inits = new Set((model.graph?.initializer ?? []).map((t) => t.name));
  return (model.graph?.input ?? []).filter((v) => !inits.has(v.name ?? ""));
}

function describe(err: unknown): string {
  if (err instanceof PolychipError) return `${err.name}: ${err.message}`;
  return `${(err as Error)?.name ?? "Error"}: ${(err as Error)?.message ?? String(err)}`;
}

/** The one line the CLI prints per test. */
export function formatResult(r: TestResult): string {
  switch (r.status) {
    case "pass":
      return `pass  ${r.name}  (max abs error ${(r.maxAbsError ?? 0).toExponential(2)}, ${r.ms} ms)`;
    case "fail":
      return `FAIL  ${r.name}  ${r.maxAbsError !== undefined && Number.isFinite(r.maxAbsError) ? `max abs error ${r.maxAbsError.toExponential(3)}: ` : ""}${r.reason ?? ""}`;
    case "skip":
      return `skip  ${r.name}  unsupported${r.op ? ` ${r.op}` : ""}: ${r.reason ?? ""}`;
  }
}

export function formatSummary(s: Pick<ConformanceSummary, "passed" | "failed" | "skipped">): string {
  return `${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`;
}

/**
 * One line per ONNX op type: how many tests that use it passed, failed and were skipped (a test
 * counts once under each op type its graph holds).
 */
export function formatOpSummary(results: readonly TestResult[]): string[] {
  const counts = new Map<string, Record<TestStatus, number>>();
  for (const r of results) {
    for (const op of r.ops?.length ? r.ops : [r.op ?? "(unreadable model)"]) {
      const c = counts.get(op) ?? { pass: 0, fail: 0, skip: 0 };
      c[r.status]++;
      counts.set(op, c);
    }
  }
  const width = Math.max(0, ...[...counts.keys()].map((k) => k.length));
  return [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([op, c]) => `${op.padEnd(width)}  ${formatSummary({ passed: c.pass, failed: c.fail, skipped: c.skip })}`);
}
