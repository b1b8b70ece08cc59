import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { contentSecurityPolicyPlugin } from "./build/content-security-policy.ts";
import { crossOriginIsolation } from "./build/cross-origin-isolation.ts";
import { engineTypeSources } from "./build/engine-type-sources.ts";
import { fashionMnistAssets } from "./build/fashion-mnist-assets.ts";
import { optionalPackages } from "./build/optional-packages.ts";
import { WORKSPACE_DIR } from "./build/workspace.ts";

export default defineConfig({
  base: "./",
  plugins: [react(), crossOriginIsolation(), contentSecurityPolicyPlugin(), fashionMnistAssets(), optionalPackages(), engineTypeSources()],
  resolve: {
    alias: { polychip: "/src/user-api/polychip.ts" },
  },
  server: { host: "127.0.0.1", fs: { allow: [WORKSPACE_DIR] } },
  preview: { host: "127.0.0.1" },
  // Worker bundles are built separately and need the virtual modules too.
  // keepNames: error classes name themselves from their constructor (ShapeError, KernelError), and
  // users read those names in the console.
  worker: { format: "es", plugins: () => [optionalPackages(), engineTypeSources()], rolldownOptions: { output: { keepNames: true } } },
  build: { target: "es2022", chunkSizeWarningLimit: 8000, reportCompressedSize: false, rolldownOptions: { output: { keepNames: true } } },
});
