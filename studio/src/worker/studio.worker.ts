/**
 * The training worker: runs the user's code, streams what it produces to the page and answers
 * questions about devices and the trained model. Never on the page's thread; the page terminates
 * it on Stop and starts a fresh one for every run.
 */
import * as Comlink from "comlink";
import { fallbackReport, memory, profiler, resetFallbackReport, setDefaultDevice, setWarningHandler } from "@polychip/engine";
import * as polychip from "../user-api/polychip.ts";
import { setRunContext, type RegisteredModel } from "../user-api/run-context.ts";
import { FeatureUnavailableError } from "../user-api/helpers.ts";
import { formatArgs } from "../lib/format-value.ts";
import { describeViolation } from "../lib/csp-violation.ts";
import { compileUserCode, locateRuntimeError, transpileUserCode, UserCodeError } from "../lib/transpile.ts";
import { describeDevices, ensureDevice } from "./devices.ts";
import { exportModel, summarizeModel, toGraphView, traceModel, type IrGraph } from "./model-features.ts";
import { loadOptionalPackage, optionalPresent } from "./optional.ts";
import { RunBuffer } from "./run-buffer.ts";
import { KeptScope } from "../lib/kept-scope.ts";
import { runModelFile, viewModelFile } from "./model-files.ts";
import type { Availability, ConsoleEntry, RunOutcome, RunRequest, RunSink, StudioWorkerApi } from "./protocol.ts";

let model: RegisteredModel | undefined;
/** Top-level variables kept from run to run of this worker (the "keep state" mode reuses it). */
const kept = new KeptScope();
/** Graphs the last run handed to showGraph(), by name. */
const shownGraphs = new Map<string, IrGraph>();
let running = false;
/** Where this run's console lines go (a violation can be reported between the run's statements). */
let reportToConsole: ((level: ConsoleEntry["level"], text: string) => void) | undefined;

/** Thrown out of log() in a dry run: one step has run, which is all a dry run wants to see. */
class DryRunComplete extends Error {
  override name = "DryRunComplete";
}

const original = { log: console.log, info: console.info, warn: console.warn, error: console.error };

function userRequire(name: string): unknown {
  if (name === "polychip" || name === "@polychip/engine") return polychip;
  throw new UserCodeError(`Error: cannot import '${name}': only "polychip" is available in the studio`, "runtime", undefined, undefined);
}

async function run(request: RunRequest, sink: RunSink): Promise<RunOutcome> {
  if (running) throw new Error("this worker is already running code; the page starts a fresh worker per run");
  running = true;
  const origin = performance.now();
  const buffer = new RunBuffer(sink, origin, () => ({ memory: memory() }));
  const say = (level: ConsoleEntry["level"], args: unknown[]) => buffer.push("console", { level, text: formatArgs(args), time: performance.now() - origin });
  for (const level of ["log", "info", "warn", "error"] as const) {
    console[level] = (...args: unknown[]) => {
      say(level, args);
      original[level].apply(console, args);
    };
  }
  setWarningHandler((m) => say("warn", [m]));
  reportToConsole = (level, text) => say(level, [text]);
  resetFallbackReport();
  const unsubscribeEvents = profiler.subscribe((e) => buffer.push("events", e));
  const unsubscribeRanges = profiler.subscribeRanges((r) => buffer.push("ranges", r));
  shownGraphs.clear();
  let lastStepEnd = origin;
  let lastDataEnd = origin;
  setRunContext({
    device: request.device,
    fashionMnistUrl: request.fashionMnistUrl,
    files: request.files,
    startedAt: origin,
    metric(point) {
      if (request.dry) throw new DryRunComplete();
      const now = performance.now();
      buffer.push("metrics", point);
      // Data loaded since the last step is its own span: the step covers the compute after it.
      buffer.push("steps", { step: point.step, start: Math.max(lastStepEnd, lastDataEnd), end: now });
      lastStepEnd = now;
    },
    dataLoaded(name, start, end) {
      buffer.push("data", { name, start, end });
      lastDataEnd = Math.max(lastDataEnd, end);
    },
    graph(g, name) {
      const nodes = (g as { nodes?: unknown } | null)?.nodes;
      if (!Array.isArray(nodes)) throw new TypeError(`showGraph('${name}'): expected a graph (from trace, quantizeGraph, importOnnx…), got ${typeof g}`);
      shownGraphs.set(name, g as IrGraph);
      buffer.set({ graphs: [...shownGraphs.keys()] });
    },
    model(m) {
      model = m;
      buffer.set({ model: summarizeModel(m) });
    },
    optional: (name) => loadOptionalPackage(name),
    async loadDevice(name) {
      try {
        await ensureDevice(name);
      } catch (err) {
        throw new FeatureUnavailableError(`device '${name}' is not available: ${(err as Error).message}`);
      }
    },
  });
  const finish = async (error?: UserCodeError): Promise<RunOutcome> => {
    // A blocked request's violation event is a task of its own: let one land before the last batch.
    await new Promise((resolve) => setTimeout(resolve, 0));
    reportToConsole = undefined;
    kept.capture();
    unsubscribeEvents();
    unsubscribeRanges();
    const durationMs = performance.now() - origin;
    await buffer.close();
    running = false;
    return {
      ok: !error,
      error: error && { kind: error.kind, name: error.errorName, message: error.message, line: error.line, column: error.column },
      durationMs,
      origin,
      fallback: fallbackReport(),
      kept: kept.names(),
    };
  };
  try {
    await ensureDevice(request.device);
    setDefaultDevice(request.device);
  } catch (err) {
    return finish(
      new UserCodeError(`DeviceError: device '${request.device}' is not available: ${(err as Error).message}`, "runtime", undefined, undefined, "DeviceError"),
    );
  }
  try {
    const fn = compileUserCode(transpileUserCode(request.code, kept.prelude(request.code)));
    const exportsObject = {};
    await fn(userRequire, exportsObject, { exports: exportsObject }, console, kept.binding());
    return finish();
  } catch (err) {
    if (err instanceof DryRunComplete) return finish();
    const located = locateRuntimeError(err);
    const where = located.line ? ` (line ${located.line})` : "";
    say("error", [`${located.message}${where}`]);
    return finish(located);
  }
}

async function features(): Promise<Record<string, Availability<true>>> {
  const out: Record<string, Availability<true>> = {};
  const graph = optionalPresent("graph");
  out.trace = graph.present ? { ok: true, value: true } : { ok: false, reason: graph.reason };
  for (const id of ["runtime", "deploy", "onnx", "webgpu", "npu-sim"] as const) {
    const p = optionalPresent(id);
    out[id] = p.present ? { ok: true, value: true } : { ok: false, reason: p.reason };
  }
  return out;
}

const api: StudioWorkerApi = {
  describeDevices,
  run,
  async graph(name) {
    if (name !== undefined) {
      const shown = shownGraphs.get(name);
      if (!shown) return { ok: false, reason: `the run showed no graph named '${name}'` };
      return { ok: true, value: await toGraphView({ graph: { ...shown, name } }) };
    }
    const traced = await traceModel(model);
    return traced.ok ? { ok: true, value: await toGraphView(traced.value) } : traced;
  },
  async exportModel(format) {
    const r = await exportModel(model, format);
    return r.ok ? Comlink.transfer(r, [r.value.bytes.buffer as ArrayBuffer]) : r;
  },
  features,
  runModelFile: (file, device, url) => runModelFile(file, device, url, model),
  viewModelFile,
};

self.addEventListener("securitypolicyviolation", (e) => {
  const v = e as SecurityPolicyViolationEvent;
  const text = describeViolation(v);
  if (reportToConsole) reportToConsole("error", text);
  else original.warn(text);
});

self.addEventListener("unhandledrejection", (e) => {
  const reason = (e as PromiseRejectionEvent).reason;
  if (reason instanceof FeatureUnavailableError) return;
  original.error("polychip studio worker: unhandled rejection", reason);
});

Comlink.expose(api);
