/**
 * Sends COOP/COEP on the dev and preview servers so the page is cross-origin isolated:
 * SharedArrayBuffer and WASM threads (the CPU device's thread pool) need it.
 */
import type { Plugin } from "vite";

export const CROSS_ORIGIN_ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
} as const;

export function crossOriginIsolation(): Plugin {
  const add = (server: { middlewares: { use(fn: (req: unknown, res: { setHeader(k: string, v: string): void }, next: () => void) => void): void } }) => {
    server.middlewares.use((_req, res, next) => {
      for (const [k, v] of Object.entries(CROSS_ORIGIN_ISOLATION_HEADERS)) res.setHeader(k, v);
      next();
    });
  };
  return {
    name: "polychip-cross-origin-isolation",
    configureServer: add,
    configurePreviewServer: add,
  };
}
