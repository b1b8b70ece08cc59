import { check } from "./check.ts";

const settle = (p: Promise<unknown>) => p.catch((e: unknown) => `error: ${String(e)}`);

void (async () => {
  const main = await settle(check());
  const worker = new Worker("./worker.js", { type: "module" });
  const inWorker = await new Promise((resolve) => {
    worker.onmessage = (m) => resolve(m.data);
    worker.onerror = (e) => resolve(`error: ${e.message}`);
  });
  (globalThis as { __result?: unknown }).__result = { main, worker: inWorker };
  document.title = "done";
})();
