/**
 * Finished runs kept across reloads in IndexedDB (metrics only: enough to overlay them on the
 * charts), newest first, at most MAX_RUNS of them.
 */
import type { MetricPoint } from "../worker/protocol.ts";

export interface RunRecord {
  id: number;
  /** Date.now() when the run finished. */
  at: number;
  label: string;
  device: string;
  status: string;
  durationMs?: number;
  metrics: MetricPoint[];
}

export const MAX_RUNS = 20;
/** Points kept per run: a long run is thinned evenly (first and last kept). */
export const MAX_POINTS = 2000;

const DB = "polychip-studio";
const STORE = "runs";

export function thinMetrics(metrics: readonly MetricPoint[], max = MAX_POINTS): MetricPoint[] {
  if (metrics.length <= max) return [...metrics];
  const out: MetricPoint[] = [];
  for (let i = 0; i < max; i++) out.push(metrics[Math.round((i * (metrics.length - 1)) / (max - 1))]!);
  return out;
}

/** Ids to delete so that only the newest `keep` remain. */
export function idsBeyond(ids: readonly number[], keep = MAX_RUNS): number[] {
  return [...ids].sort((a, b) => b - a).slice(keep);
}

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "id" });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = tx.onabort = () => reject(tx.error);
  });
}

export async function listRuns(): Promise<RunRecord[]> {
  const db = await open();
  try {
    const tx = db.transaction(STORE, "readonly");
    const req = tx.objectStore(STORE).getAll();
    await done(tx);
    return (req.result as RunRecord[]).sort((a, b) => b.id - a.id);
  } finally {
    db.close();
  }
}

/** Saves a run (ids grow with time) and drops the oldest beyond MAX_RUNS; returns its id. */
export async function saveRun(record: Omit<RunRecord, "id">): Promise<number> {
  const db = await open();
  try {
    const id = Date.now() * 1000 + Math.floor(Math.random() * 1000);
    const tx = db.transaction(STORE, "readwrite");
    const store = tx.objectStore(STORE);
    store.put({ ...record, id, metrics: thinMetrics(record.metrics) });
    const keys = store.getAllKeys();
    keys.onsuccess = () => {
      for (const old of idsBeyond(keys.result as number[])) store.delete(old);
    };
    await done(tx);
    return id;
  } finally {
    db.close();
  }
}

export async function clearRuns(): Promise<void> {
  const db = await open();
  try {
    const tx = db.transaction(STORE, "readwrite");
    tx.objectStore(STORE).clear();
    await done(tx);
  } finally {
    db.close();
  }
}
