/**
 * The op tests again with the WASM kernels switched off (POLYCHIP_CPU_WASM=0 makes every new
 * CpuDevice a wasm: false one), so the reference kernels — the fallback where WebAssembly is
 * unavailable — must pass them on their own. The regular run of the same files covers the WASM path.
 */
import { readdirSync } from "node:fs";

process.env.POLYCHIP_CPU_WASM = "0";
const kernelTests = readdirSync(new URL("./kernels", import.meta.url)).filter((f) => f.endsWith(".test.ts"));
for (const file of kernelTests) await import(`./kernels/${file}`);
await import("./decompositions.test.ts");
await import("./views.test.ts");
