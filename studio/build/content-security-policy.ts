/**
 * The studio's Content-Security-Policy: nothing outside the studio's own origin can be fetched,
 * posted to, imported or framed, by the page or by user code running in the workers.
 *
 * What runs locally is allowed: WebAssembly (the CPU kernels), `new Function` in the run worker
 * (that is how the user's program is evaluated; it only widens what code already in the worker
 * can do, never where it can load code from), blob: workers (the CPU device's thread pool), and
 * inline styles (Monaco and React set them). The dev server also needs its HMR websocket and
 * React's inline refresh preamble.
 *
 * Served as a header by the dev and preview servers (a dedicated worker takes its policy from
 * its own script's response, so only a header covers user code) and as a <meta> tag in the
 * built index.html, so the page keeps its policy on any static host.
 */
import type { Plugin } from "vite";

type Mode = "build" | "dev";
type Target = "page" | "worker";

export function contentSecurityPolicy(mode: Mode, target: Target): string {
  const script = ["'self'", "'wasm-unsafe-eval'"];
  if (target === "worker") script.push("'unsafe-eval'");
  if (mode === "dev") script.push("'unsafe-inline'");
  const connect = ["'self'", "blob:", "data:"];
  if (mode === "dev") connect.push("ws://127.0.0.1:*", "ws://localhost:*");
  return [
    "default-src 'self'",
    `script-src ${script.join(" ")}`,
    "worker-src 'self' blob:",
    `connect-src ${connect.join(" ")}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'none'",
    "frame-src 'none'",
  ].join("; ");
}

/** Worker scripts: the studio's run worker and Monaco's (dev: `?worker_file`, build: `*.worker-<hash>.js`). */
export function isWorkerScript(url: string): boolean {
  return /[?&]worker_file\b|\.worker[-.][^/]*\.js(\?|$)/.test(url);
}

type Middlewares = { middlewares: { use(fn: (req: { url?: string }, res: { setHeader(k: string, v: string): void }, next: () => void) => void): void } };

export function contentSecurityPolicyPlugin(): Plugin {
  const serve = (mode: Mode) => (server: Middlewares) => {
    server.middlewares.use((req, res, next) => {
      res.setHeader("Content-Security-Policy", contentSecurityPolicy(mode, isWorkerScript(req.url ?? "") ? "worker" : "page"));
      next();
    });
  };
  return {
    name: "polychip-content-security-policy",
    configureServer: serve("dev"),
    configurePreviewServer: serve("build"),
    transformIndexHtml(html, ctx) {
      if (ctx.server) return html;
      return [{ tag: "meta", attrs: { "http-equiv": "Content-Security-Policy", content: contentSecurityPolicy("build", "page") }, injectTo: "head-prepend" }];
    },
  };
}
