/**
 * How long a device operation that can wait (a read, a sync) may take before it is declared hung:
 * a generous base plus time per MiB moved, so a large read on a slow device is not cut short.
 * Overridable from code (setDeviceDeadline) or the environment (POLYCHIP_DEVICE_TIMEOUT_MS sets the base).
 */
export interface DeviceDeadline {
  /** Milliseconds every operation gets (default 120 s). */
  readonly baseMs: number;
  /** Extra milliseconds per MiB the operation moves (default 1 s). */
  readonly msPerMiB: number;
}

const fromEnv = Number((globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.POLYCHIP_DEVICE_TIMEOUT_MS);
let deadline: DeviceDeadline = { baseMs: Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 120_000, msPerMiB: 1000 };

/** Changes the deadline for later operations; returns the previous setting (to restore it). */
export function setDeviceDeadline(change: Partial<DeviceDeadline>): DeviceDeadline {
  const previous = deadline;
  for (const [k, v] of Object.entries(change)) {
    if (typeof v !== "number" || !(v >= 0) || !Number.isFinite(v)) throw new RangeError(`setDeviceDeadline: ${k} must be a finite number >= 0, got ${v}`);
  }
  deadline = { ...deadline, ...change };
  return previous;
}

export function getDeviceDeadline(): DeviceDeadline {
  return deadline;
}

/** The deadline in milliseconds for an operation moving `bytes`. */
export function deadlineFor(bytes: number): number {
  return deadline.baseMs + (bytes / (1 << 20)) * deadline.msPerMiB;
}

/**
 * `promise`, or a rejection with `timeout()` if it has not settled within `ms`. The timer keeps
 * the process alive on purpose: a hung device must end in an error, not in a silent exit.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, timeout: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expiry = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeout()), ms);
  });
  return Promise.race([promise, expiry]).finally(() => clearTimeout(timer));
}
