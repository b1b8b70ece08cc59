import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { test } from "node:test";

/** esbuild comes with tsx (the engine's dev dependency): resolve it from there rather than add a dependency. */
interface Esbuild {
  build(options: Record<string, unknown>): Promise<{ metafile: { inputs: Record<string, unknown> }; outputFiles: { contents: Uint8Array }[] }>;
}

function loadEsbuild(): Esbuild {
  const require = createRequire(import.meta.url);
  return createRequire(require.resolve("tsx/package.json"))("esbuild");
}

const FORBIDDEN = [/\/autograd\//, /\/nn\//, /\/optim\//, /engine\/src\/tensor\.ts$/, /engine\/src\/ops\//, /engine\/src\/graph\/trace\.ts$/];

test("the lean runtime bundles without autograd, nn, optimisers, ops or the eager Tensor (and reports its size)", async () => {
  const esbuild = loadEsbuild();
  const entry = fileURLToPath(new URL("./runtime.ts", import.meta.url));
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    write: false,
    metafile: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    logLevel: "silent",
  });
  const inputs = Object.keys(result.metafile.inputs);
  const leaked = inputs.filter((f) => FORBIDDEN.some((re) => re.test(f)));
  assert.deepEqual(leaked, [], `the runtime pulls in ${leaked.join(", ")}`);
  assert.ok(
    inputs.some((f) => f.endsWith("runtime/session.ts")),
    "the bundle holds the executor",
  );
  assert.ok(
    inputs.some((f) => f.includes("devices/cpu/")),
    "the bundle holds the cpu device",
  );
  const code = result.outputFiles[0]!.contents;
  const bytes = code.byteLength;
  const gzipped = gzipSync(code).byteLength;
  console.log(
    `lean runtime bundle (esbuild, minified, esm, with the cpu device): ${(bytes / 1024).toFixed(1)} KiB, ${(gzipped / 1024).toFixed(1)} KiB gzipped, from ${inputs.length} files`,
  );
  assert.ok(bytes < 400 * 1024, `bundle is ${bytes} bytes`);
});
