import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { check, importsOf } from "./check.mjs";

const repo = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** A throw-away tree with the given files (path -> source). */
function tree(files) {
  const root = mkdtempSync(join(tmpdir(), "arch-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

test("the repository's imports follow the layering of docs/ARCHITECTURE.md", () => {
  assert.deepEqual(check(repo), []);
});

test("a HAL file importing the engine is a violation naming both packages", () => {
  const root = tree({ "hal/src/ops.ts": 'import { tensor } from "@polychip/engine";\n' });
  try {
    assert.deepEqual(check(root), ["hal/src/ops.ts: @polychip/hal may not import @polychip/engine (@polychip/engine)"]);
  } finally {
    rmSync(root, { recursive: true });
  }
});

test("a plugin importing the engine is refused: plugins see only the HAL and the SDK", () => {
  const root = tree({ "plugins/npu-sim/src/device.ts": 'import { runOp } from "@polychip/engine/core";\n' });
  try {
    assert.match(check(root).join("\n"), /@polychip\/npu-sim may not import @polychip\/engine/);
  } finally {
    rmSync(root, { recursive: true });
  }
});

test("two folders importing each other are reported as a cycle", () => {
  const root = tree({
    "engine/src/graph/a.ts": 'import { b } from "../runtime/b.ts";\nexport const a = 1;\n',
    "engine/src/runtime/b.ts": 'import { a } from "../graph/a.ts";\nexport const b = 2;\n',
  });
  try {
    assert.match(check(root).join("\n"), /@polychip\/engine: import cycle between folders graph, runtime/);
  } finally {
    rmSync(root, { recursive: true });
  }
});

test("the engine's lean half may not import its eager half", () => {
  const root = tree({ "engine/src/runtime/session.ts": 'import { tensor } from "../ops/creation.ts";\n' });
  try {
    assert.match(check(root).join("\n"), /lean half \(runtime\/\) may not import its eager half \(ops\)/);
  } finally {
    rmSync(root, { recursive: true });
  }
});

test("type-only imports are not run-time edges", () => {
  assert.deepEqual(
    importsOf('import type { Tensor } from "../tensor.ts";\nexport type { X } from "./x.ts";\nimport { a } from "./a.ts";\nconst m = import("./lazy.ts");\n'),
    ["./a.ts", "./lazy.ts"],
  );
});
