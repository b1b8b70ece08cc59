/**
 * `virtual:polychip-type-sources`: the TypeScript sources Monaco's TypeScript worker reads for
 * IntelliSense, laid out as a node_modules tree so "polychip" and the @polychip/* imports inside
 * it resolve: the engine, the HAL, the datasets' browser entry and the studio's own helpers.
 * Real sources, not a hand-written .d.ts, so completions and errors always match the engine.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { Plugin } from "vite";
import { STUDIO_DIR, WORKSPACE_DIR } from "./workspace.ts";

interface SourceTree {
  /** Module path under file:///node_modules/. */
  module: string;
  dir: string;
  /** What the package.json stub's "types" points at, relative to the module folder. */
  types: string;
  skip?: RegExp;
}

const TREES: SourceTree[] = [
  { module: "@polychip/hal", dir: "hal/src", types: "./src/index.ts" },
  { module: "@polychip/engine", dir: "engine/src", types: "./src/index.ts", skip: /^(golden|testing)\// },
  { module: "@polychip/datasets", dir: "packages/datasets/src", types: "./src/browser.ts", skip: /^node\.ts$/ },
];

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const isSource = (rel: string) => rel.endsWith(".ts") && !rel.endsWith(".test.ts") && !rel.endsWith(".d.ts");

/** File URI → content, for monaco's addExtraLib. */
export function collectTypeSources(root = WORKSPACE_DIR): Record<string, string> {
  const files: Record<string, string> = {};
  for (const tree of TREES) {
    const base = join(root, tree.dir);
    for (const path of walk(base)) {
      const rel = relative(base, path).split("\\").join("/");
      if (!isSource(rel) || tree.skip?.test(rel)) continue;
      files[`file:///node_modules/${tree.module}/src/${rel}`] = readFileSync(path, "utf8");
    }
    const stub = { name: tree.module, types: tree.types, exports: { ".": { types: tree.types }, "./browser": { types: "./src/browser.ts" } } };
    files[`file:///node_modules/${tree.module}/package.json`] = JSON.stringify(stub);
  }
  const userApi = join(STUDIO_DIR, "src/user-api");
  for (const path of walk(userApi)) {
    const rel = relative(userApi, path);
    if (isSource(rel)) files[`file:///node_modules/polychip/${rel}`] = readFileSync(path, "utf8");
  }
  files["file:///node_modules/polychip/package.json"] = JSON.stringify({ name: "polychip", types: "./polychip.ts" });
  return files;
}

const ID = "virtual:polychip-type-sources";
const RESOLVED = "\0" + ID;

export function engineTypeSources(): Plugin {
  return {
    name: "polychip-engine-type-sources",
    resolveId(id) {
      return id === ID ? RESOLVED : undefined;
    },
    load(id) {
      if (id !== RESOLVED) return undefined;
      return `export const typeSources = ${JSON.stringify(collectTypeSources())};\n`;
    },
  };
}
