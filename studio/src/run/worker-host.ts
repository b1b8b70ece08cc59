/**
 * The page's side of the training worker. One worker per run: a fresh one is started ahead of
 * time (devices are probed in it), Run uses it, Stop terminates it and warms up the next. The
 * finished run's worker is kept until the next run, because it holds the trained model. In the
 * "keep state" mode the next run goes to that same worker, so what the code kept (the `session`
 * object, the model) is still there, like a notebook's next cell; reset() ends it.
 */
import * as Comlink from "comlink";
import type { RunBatch, RunOutcome, RunRequest, StudioWorkerApi } from "../worker/protocol.ts";
import StudioWorker from "../worker/studio.worker.ts?worker";

export interface WorkerHandle {
  worker: Worker;
  api: Comlink.Remote<StudioWorkerApi>;
  id: number;
  /** Runs this worker has done. */
  runs: number;
}

let nextId = 1;
const WARM_DELAY_MS = 1000;

function spawn(): WorkerHandle {
  const worker = new StudioWorker({ name: `polychip-run-${nextId}` });
  return { worker, api: Comlink.wrap<StudioWorkerApi>(worker), id: nextId++, runs: 0 };
}

export class StoppedError extends Error {
  override name = "StoppedError";
  constructor() {
    super("stopped by the user");
  }
}

export class WorkerCrashError extends Error {
  override name = "WorkerCrashError";
}

export class WorkerHost {
  private spare: WorkerHandle | undefined;
  /** The worker of the current or last run (holds its model). */
  current: WorkerHandle | undefined;
  private abort: ((reason: Error) => void) | undefined;
  /** The throwaway worker of a dry run in progress. */
  private dry: { handle: WorkerHandle; end(): void } | undefined;

  /** A ready worker (for device probing or the next run). */
  warm(): WorkerHandle {
    return (this.spare ??= spawn());
  }

  /** Runs code in a fresh worker; rejects with StoppedError on stop() and WorkerCrashError if the worker dies. */
  async run(request: RunRequest, onBatch: (b: RunBatch) => void, options: { reuse?: boolean } = {}): Promise<RunOutcome> {
    this.cancelDryRun(); // the run needs the cores; its own fallback report will say the rest
    const kept = options.reuse ? this.current : undefined;
    if (!kept) this.retire();
    const handle = kept ?? this.warm();
    if (!kept) this.spare = undefined;
    this.current = handle;
    handle.runs++;
    const ended = new Promise<never>((_, reject) => {
      this.abort = reject;
      handle.worker.addEventListener("error", (e) => {
        e.preventDefault();
        reject(new WorkerCrashError(`the worker crashed: ${e.message || "unknown error"}`));
      });
    });
    try {
      return await Promise.race([handle.api.run(request, Comlink.proxy({ batch: onBatch })), ended]);
    } catch (err) {
      if (err instanceof WorkerCrashError && this.current === handle) this.retire();
      throw err;
    } finally {
      this.abort = undefined;
      // Warm the next worker a moment after this run, so starting it competes neither with training
      // for a core nor with the page's final render of the run's results.
      setTimeout(() => this.warm(), WARM_DELAY_MS);
    }
  }

  /**
   * Runs `request` dry (up to its first logged step) in a worker of its own that is ended
   * afterwards, so neither the kept worker nor the spare see it. Resolves with the outcome,
   * "unfinished" when it did not finish within `timeoutMs` (or its worker died), or "cancelled".
   */
  async dryRun(request: RunRequest, timeoutMs: number): Promise<RunOutcome | "unfinished" | "cancelled"> {
    this.cancelDryRun();
    const handle = spawn();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const gaveUp = new Promise<"unfinished" | "cancelled">((resolve) => {
      this.dry = { handle, end: () => resolve("cancelled") };
      timer = setTimeout(() => resolve("unfinished"), timeoutMs);
      handle.worker.addEventListener("error", (e) => {
        e.preventDefault();
        resolve("unfinished");
      });
    });
    try {
      return await Promise.race([handle.api.run({ ...request, dry: true }, Comlink.proxy({ batch: () => undefined })), gaveUp]);
    } finally {
      clearTimeout(timer);
      if (this.dry?.handle === handle) this.cancelDryRun();
    }
  }

  /** Ends a dry run in progress (a real run is about to use the cores). */
  cancelDryRun(): void {
    const dry = this.dry;
    this.dry = undefined;
    if (!dry) return;
    dry.handle.api[Comlink.releaseProxy]();
    dry.handle.worker.terminate();
    dry.end();
  }

  /** Ends the kept worker and everything it holds; the next run starts a fresh one. */
  reset(): void {
    this.retire();
    this.warm();
  }

  /** Terminates the running worker (its model is lost) and warms up a fresh one. */
  stop(): void {
    const abort = this.abort;
    this.retire();
    abort?.(new StoppedError());
  }

  private retire(): void {
    if (!this.current) return;
    this.current.api[Comlink.releaseProxy]();
    this.current.worker.terminate();
    this.current = undefined;
  }
}
