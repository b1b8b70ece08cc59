import { PolychipError } from "@polychip/hal";
import type { Storage } from "./core/storage.ts";

/** Anything that owns device memory the scope machinery can release. */
export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
}

const scopes: Set<Disposable>[] = [];

export function track(t: Disposable): void {
  scopes[scopes.length - 1]?.add(t);
}

let keepObserver: ((t: Disposable) => void) | undefined;

/** Installs (or clears) a function told of every keep(); returns the previous one. compile's replay uses it to tell state (a gradient, a moment) from a plain result. */
export function observeKeep(observer: ((t: Disposable) => void) | undefined): ((t: Disposable) => void) | undefined {
  const previous = keepObserver;
  keepObserver = observer;
  return previous;
}

/** Takes `t` out of every enclosing tidy scope, so it outlives them (parameters, optimiser state, gradients). */
export function keep<T extends Disposable>(t: T): T {
  for (const s of scopes) s.delete(t);
  keepObserver?.(t);
  return t;
}

function collect(value: unknown, into: Set<unknown>, depth = 0): void {
  if (value === null || typeof value !== "object" || depth > 4) return;
  if ("dispose" in value && "isDisposed" in value) {
    into.add(value);
    return;
  }
  const items = Array.isArray(value) ? value : value instanceof Map ? [...value.values()] : Object.values(value);
  for (const v of items) collect(v, into, depth + 1);
}

/**
 * Runs `fn` and disposes every tensor created inside it except those it returns (directly or in
 * an array/object). The deterministic way to keep memory flat in a training loop.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  scopes.push(scope);
  let result: T | undefined;
  let ok = false;
  try {
    result = fn();
    if (result instanceof Promise) throw new PolychipError("tidy: the callback must be synchronous (await outside tidy)");
    ok = true;
    return result;
  } finally {
    scopes.pop();
    const kept = new Set<unknown>();
    if (ok) collect(result, kept);
    for (const t of scope) {
      if (kept.has(t)) track(t);
      else t.dispose();
    }
  }
}

/** Safety net: a tensor garbage-collected without dispose() still gives its memory back. */
export const finalizer = new FinalizationRegistry<{ storage: Storage; onCollect: () => void }>((held) => {
  held.storage.release();
  held.onCollect();
});
