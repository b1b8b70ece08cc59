import { formatBytes } from "../runtime/budget.ts";
import { PolychipError, type DType } from "@polychip/hal";
import { BoundedCache } from "../core/bounded-cache.ts";
import { findKernel, getDeviceEntry } from "../core/devices.ts";
import { activeLazyRecorder, setLazyRecorder } from "../core/lazy-hook.ts";
import { Module } from "../nn/module.ts";
import { getRngState } from "../ops/creation.ts";
import { isGradEnabled } from "../tape/grad-mode.ts";
import { autocasting } from "../ops/autocast.ts";
import { observeKeep, tidy, type Disposable } from "../scope.ts";
import { activeRecorder } from "../tape/trace-hook.ts";
import { foldRelu } from "./relu-folding.ts";
import { foldReluGradient } from "./relu-grad-folding.ts";
import { execute } from "./execute.ts";
import { fusedSteps } from "./fuse.ts";
import { eagerSteps, planMemory, type Plan } from "./plan.ts";
import { structureKey, type StepProgram } from "./program.ts";
import { StepRecorder } from "./recorder.ts";
import { callSignature, type CallSignature } from "./call-signature.ts";
import { SignatureReplay } from "./replay.ts";

export interface CompileOptions {
  /** Run chains of elementwise ops as one `fused` kernel (default true). */
  readonly fuse?: boolean;
  /**
   * With fuse: a conv2d or matmul and the elementwise ops after it run as one conv2dEpilogue /
   * matmulEpilogue on devices with a kernel for it (default true).
   */
  readonly epilogues?: boolean;
  /** Plans kept for different signatures (input shapes, structural attributes); default 8. */
  readonly cacheSize?: number;
  /** Names the function in warnings and reports. */
  readonly name?: string;
  /**
   * Replay without re-recording: once two recordings of a call signature (argument tensors'
   * shapes, dtypes, layouts and devices; other arguments' values or identities) agree, later calls
   * run the cached plan on the new argument tensors and the current parameters and optimiser state
   * without calling the function. Host scalars marked live (learning rates, Adam's bias correction,
   * see replay-hooks.ts) are read again each call; other host values the function reads are not
   * seen (see docs/ARCHITECTURE.md "Graph mode"). Default false.
   */
  readonly replay?: boolean;
  /**
   * With replay: every Nth call of a replayed signature records the function again and checks
   * that its ops, host scalars and inputs are still those being replayed; a difference is an error.
   * 0 turns the check off; default 100.
   */
  readonly verifyEvery?: number;
}

export interface CompileStats {
  calls: number;
  /** Plans built: the first call, and each call with a signature the cache did not hold. */
  compiles: number;
  /** Calls that ran the function to record its step. */
  recordings: number;
  /** Calls that ran a cached plan without calling the function (options.replay). */
  replays: number;
  /** With replay: why the last call's signature cannot replay yet (unset once it can). */
  notReplaying?: string;
  /** The plan the last call ran. */
  lastPlan?: { opsRecorded: number; launches: number; fusedGroups: number; epilogues: number; peakBytes: number; inPlaceSteps: number };
}

export type Compiled<F extends (...args: any[]) => any> = F & {
  readonly stats: CompileStats;
  /** What the last call ran: ops recorded, launches after fusion, planned peak memory. */
  report(): string;
  /** Forgets every cached plan (and, with replay, gives back the references it holds on parameters and state). */
  reset(): void;
};

/**
 * Graph mode. Each call runs `fn`'s code once more without computing anything (ops record
 * themselves, see core/lazy-hook.ts), then runs the recorded step as one plan: elementwise chains
 * fused into single kernels, every intermediate freed right after its last reader. The plan is
 * cached by the step's structure (ops, wiring, shapes, attributes except scalars' values and
 * seeds), so host-side control flow, a learning-rate schedule or a new batch size are always
 * honoured: a different structure builds (and caches) another plan, never runs a stale one.
 *
 * A compiled function is a drop-in replacement for the function run inside tidy(): it takes and
 * returns the same values; tensors it returns, parameters it updates, gradients and optimiser
 * state it keeps hold their values once it returns; other tensors it made are freed. Reading
 * a value inside it (data(), item()) or moving tensors between devices is an error, since values
 * exist only after the step ran.
 */
/** A device fuses GEMM epilogues (or a batch norm with its relu) when it registers a kernel for them (a device without one would only run the unfused ops again). */
const nativeKernel = (op: string, device: string, dtype: DType) => findKernel(getDeviceEntry(device), op, dtype) !== undefined;

/** A replaying function holds references on the state it writes: they go back when it is garbage-collected (or reset()). */
const releaseWhenCollected = new FinalizationRegistry<BoundedCache<SignatureReplay>>((signatures) => signatures.clear());

/** Runs a recording's plan; pending tensors adopt what it computed. Returns the steps run in place. */
function run(plan: Plan, program: StepProgram, recorder: StepRecorder): number {
  const { inPlace, outputs } = execute(plan, program, { externals: recorder.externals });
  for (const [id, storage] of outputs) recorder.pending.get(id)!.adopt(storage);
  return inPlace;
}

export function compile<F extends (...args: any[]) => any>(target: F | Module, options: CompileOptions = {}): Compiled<F> {
  const fn = (target instanceof Module ? (...xs: unknown[]) => (target as any).forward(...xs) : target) as F;
  const name = options.name ?? (target instanceof Module ? target.constructor.name : fn.name || "function");
  const cacheSize = options.cacheSize ?? 8;
  const cache = new BoundedCache<{ plan: Plan; fusedGroups: number; epilogues: number }>({
    limit: cacheSize,
    thrashOn: "eviction",
    onThrash: () =>
      console.warn(
        `compile(${name}): more than ${cacheSize} different step structures (shapes or attributes change between calls); ` +
          "each new one is captured and planned again. Keep shapes fixed, or raise cacheSize",
      ),
  });
  const stats: CompileStats = { calls: 0, compiles: 0, recordings: 0, replays: 0 };
  const verifyEvery = options.verifyEvery ?? 100;
  if (!Number.isInteger(verifyEvery) || verifyEvery < 0)
    throw new PolychipError(`compile(${name}): verifyEvery must be a whole number >= 0, got ${verifyEvery}`);
  const signatures = new BoundedCache<SignatureReplay>({ limit: cacheSize, release: (s) => s.dispose() });
  // Module targets replay per train()/eval() mode; grad mode and autocast change what the step records.
  const context = () =>
    `grad=${isGradEnabled()} autocast=${autocasting()}` +
    (target instanceof Module
      ? ` training=${target
          .modules()
          .map((m) => (m.training ? 1 : 0))
          .join("")}`
      : "");
  const replayFor = (signature: CallSignature) => {
    let state = signatures.get(signature.key);
    if (!state) signatures.add(signature.key, (state = new SignatureReplay()));
    return state;
  };
  const planFor = (program: StepProgram, key: string) => {
    const hit = cache.get(key);
    if (hit) return hit;
    stats.compiles++;
    const steps = options.fuse === false ? eagerSteps(program) : fusedSteps(program, options.epilogues === false ? {} : { epilogues: nativeKernel });
    const entry = {
      plan: planMemory(program, steps),
      fusedGroups: steps.filter((s) => s.kind === "fused").length,
      epilogues: steps.filter((s) => s.kind === "fused" && s.op !== "fused").length,
    };
    cache.add(key, entry);
    return entry;
  };

  const compiled = (...args: Parameters<F>): ReturnType<F> => {
    // Inside another compiled function or a trace, the code simply runs: it becomes part of that capture.
    if (activeLazyRecorder() || activeRecorder()) return fn(...args);
    stats.calls++;
    const signature = options.replay ? callSignature(args, context()) : undefined;
    const replay = signature && replayFor(signature);
    const verifying = replay?.ready && verifyEvery > 0 && replay.replaysSinceCheck >= verifyEvery;
    if (replay?.ready && !verifying) {
      const replayed = replay.replay(signature!);
      if (replayed) {
        stats.replays++;
        return replayed.result as ReturnType<F>;
      }
    }
    stats.recordings++;
    const seedsBefore = getRngState().counter;
    const recorder = new StepRecorder();
    let result: ReturnType<F> | undefined;
    let failure: { error: unknown } | undefined;
    const previous = setLazyRecorder(recorder);
    // Tensors the step keeps (gradients, optimiser state) are state even when it also returns them.
    const kept = new Set<Disposable>();
    const previousObserver = options.replay ? observeKeep((t) => kept.add(t)) : undefined;
    try {
      // As inside tidy(): tensors made by the step and not returned (nor kept) are freed, so the plan frees them early.
      result = tidy(() => {
        const r = fn(...args);
        if ((r as unknown) instanceof Promise) {
          throw new PolychipError(`compile(${name}): the function returned a Promise; a compiled function must be synchronous (await outside it)`);
        }
        return r;
      });
    } catch (error) {
      failure = { error };
    } finally {
      setLazyRecorder(previous);
      if (options.replay) observeKeep(previousObserver);
    }
    try {
      const recorded = recorder.finish();
      const program = options.fuse === false ? recorded : foldReluGradient(foldRelu(recorded, nativeKernel), nativeKernel);
      if (failure) {
        // Eager code would have run the ops before the error (a parameter already updated, a
        // gradient already set): run them too, unfused and uncached, so no tensor stays pending.
        run(planMemory(program, eagerSteps(program)), program, recorder);
        throw failure.error;
      }
      const key = structureKey(program);
      const { plan, fusedGroups, epilogues } = planFor(program, key);
      const mismatch = replay?.learn({ recorder, program, plan, key, signature: signature!, result, kept, seedsDrawn: getRngState().counter - seedsBefore });
      if (replay) stats.notReplaying = replay.ready ? undefined : replay.reason;
      const inPlace = run(plan, program, recorder);
      stats.lastPlan = { opsRecorded: plan.opsRecorded, launches: plan.launches, fusedGroups, epilogues, peakBytes: plan.peakBytes, inPlaceSteps: inPlace };
      if (verifying && mismatch) {
        throw new PolychipError(
          `compile(${name}): ${mismatch}; replay needs a static step. This call ran the newly recorded step; compile it without replay, or make what changes an argument`,
        );
      }
      return result as ReturnType<F>;
    } finally {
      recorder.release();
    }
  };
  if (options.replay) releaseWhenCollected.register(compiled, signatures);
  return Object.assign(compiled as F, {
    stats,
    report: () => {
      const p = stats.lastPlan;
      if (!p) return `compile(${name}): not called yet`;
      const replayed = options.replay ? `, ${stats.replays} replayed, ${stats.recordings} recorded` : "";
      const blocked = stats.notReplaying ? `; not replaying: ${stats.notReplaying}` : "";
      return (
        `compile(${name}): ${stats.calls} calls${replayed}, ${stats.compiles} plans built; last plan: ${p.opsRecorded} ops recorded -> ` +
        `${p.launches} launches (${p.fusedGroups} fused groups of which ${p.epilogues} GEMM epilogues, ${p.inPlaceSteps} run in place), planned peak ${formatBytes(p.peakBytes)} of intermediates${blocked}`
      );
    },
    reset: () => {
      cache.clear();
      signatures.clear();
    },
  });
}
