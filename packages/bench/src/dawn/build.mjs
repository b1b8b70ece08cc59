// Bundles dawn-bench.ts into one file for a machine without this workspace (the GPU host):
// everything inlined except Dawn itself (`webgpu`), which travels beside it.
import { build } from "esbuild";
const out = process.argv[2] ?? "dawn-bench.mjs";
await build({
  entryPoints: [new URL("./dawn-bench.ts", import.meta.url).pathname],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  outfile: out,
  external: ["webgpu"],
  banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
  logLevel: "warning",
});
console.log(`wrote ${out}`);
