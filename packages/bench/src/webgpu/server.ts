import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const BENCH_DIR = fileURLToPath(new URL("../..", import.meta.url));

/** onnxruntime-web's dist folder (its exports map hides package.json, so go from the Node entry, which lives in dist). */
function ortDistDir(): string {
  const require = createRequire(`${BENCH_DIR}/package.json`);
  return dirname(require.resolve("onnxruntime-web"));
}

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>polychip bench (webgpu)</title></head>
<body><p>polychip bench</p><script type="module" src="/bench.js"></script></body></html>`;

const TYPES: Record<string, string> = { ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };

export interface BenchServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the page, the bundle and onnxruntime-web's WASM files on 127.0.0.1, cross-origin isolated
 * (COOP/COEP) so SharedArrayBuffer and WASM threads are allowed as they would be in a real deployment.
 */
export async function serveBench(bundle: string): Promise<BenchServer> {
  const ortDir = ortDistDir();
  const server: Server = createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const headers = {
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Embedder-Policy": "require-corp",
      "Cross-Origin-Resource-Policy": "same-origin",
      "Cache-Control": "no-store",
    };
    try {
      if (path === "/") {
        res.writeHead(200, { ...headers, "Content-Type": TYPES[".html"] }).end(PAGE);
      } else if (path === "/bench.js") {
        res.writeHead(200, { ...headers, "Content-Type": TYPES[".js"] }).end(bundle);
      } else if (path.startsWith("/ort/")) {
        const file = basename(path);
        const body = await readFile(join(ortDir, file));
        res.writeHead(200, { ...headers, "Content-Type": TYPES[file.slice(file.lastIndexOf("."))] ?? "application/octet-stream" }).end(body);
      } else {
        res.writeHead(404, headers).end("not found");
      }
    } catch {
      res.writeHead(404, headers).end("not found");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
