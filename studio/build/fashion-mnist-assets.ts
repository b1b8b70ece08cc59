/**
 * Serves the embedded Fashion-MNIST subset of @polychip/datasets at /data/fashion-mnist-subset/
 * (dev server) and copies it into the build, so the studio works offline from its built files.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Plugin } from "vite";
import { WORKSPACE_DIR } from "./workspace.ts";

export const FASHION_MNIST_URL_PATH = "data/fashion-mnist-subset/";
const SOURCE_DIR = join(WORKSPACE_DIR, "packages/datasets/data/fashion-mnist-subset");

function subsetFiles(): string[] {
  return readdirSync(SOURCE_DIR).filter((f) => f.endsWith(".gz") || f === "LICENSE" || f === "README.md");
}

export function fashionMnistAssets(): Plugin {
  return {
    name: "polychip-fashion-mnist-assets",
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = (req.url ?? "").split("?")[0]!;
        const prefix = `/${FASHION_MNIST_URL_PATH}`;
        if (!url.startsWith(prefix)) return next();
        const file = url.slice(prefix.length);
        if (!subsetFiles().includes(file)) return next();
        res.setHeader("Content-Type", "application/octet-stream");
        res.end(readFileSync(join(SOURCE_DIR, file)));
      });
    },
    generateBundle() {
      for (const file of subsetFiles()) {
        this.emitFile({ type: "asset", fileName: `${FASHION_MNIST_URL_PATH}${file}`, source: new Uint8Array(readFileSync(join(SOURCE_DIR, file))) });
      }
    },
  };
}
