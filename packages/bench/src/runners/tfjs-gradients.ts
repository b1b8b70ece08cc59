import { createRequire } from "node:module";

/**
 * tfjs-core's Node build (CommonJS) ships no gradient functions: the `@tensorflow/tfjs` union
 * package registers them from `dist/register_all_gradients.js`, an ES-module source tree with
 * extensionless imports that Node cannot load as is. esbuild bundles it into one module; its
 * registrations land in tfjs's process-wide registry (kept on globalThis), which the CommonJS
 * build the backends use reads too.
 */
export async function registerTfjsGradients(): Promise<void> {
  const require = createRequire(import.meta.url);
  const entry = require.resolve("@tensorflow/tfjs-core/dist/register_all_gradients.js");
  const { build } = await import("esbuild");
  const bundle = await build({ entryPoints: [entry], bundle: true, format: "esm", platform: "node", write: false, logLevel: "silent" });
  const code = bundle.outputFiles[0]!.text;
  await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);
}
