import { KernelError } from "@polychip/hal";

/**
 * GPU errors arrive asynchronously (compile checks, error scopes, uncaptured errors). They are
 * kept here and thrown by the next call that waits for the GPU (`read`, `sync`), so a failure is
 * reported where the caller can handle it rather than lost in a promise.
 */
export class AsyncErrors {
  private readonly pending = new Set<Promise<unknown>>();
  private failures: Error[] = [];

  /** Follows a promise whose handlers may call fail(); settle() waits for it. */
  track(p: Promise<unknown>): void {
    const tracked = p.catch(() => undefined).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  fail(err: Error): void {
    if (this.failures.length < 16) this.failures.push(err);
  }

  /** Waits for outstanding checks, then throws the first error seen since the last report. */
  async settle(checkAlive: () => void): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    checkAlive();
    if (this.failures.length === 0) return;
    // A failed compile also makes every later use of its pipeline fail: report the cause, not the echoes.
    const failure = this.failures.find((f) => f instanceof KernelError) ?? this.failures[0]!;
    this.failures = [];
    throw failure;
  }
}
