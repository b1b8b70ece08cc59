#!/usr/bin/env node
// Checks the layering of the whole repository: package arrows, the engine's lean/eager split, and
// that no folder of a package imports a folder that imports it back (a cycle between folders).
// Type-only imports are ignored: they vanish at run time and cannot form a loading cycle.
// Usage: node scripts/architecture/check.mjs [root]   (exit 1 and one line per violation)
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { ENGINE_EAGER, ENGINE_LEAN, PACKAGES } from "./rules.mjs";

const SOURCE = /\.(ts|tsx|mts|mjs)$/;
const SKIP = new Set(["node_modules", "dist", "build", ".turbo", "fixtures"]);
const IMPORT = /(?:^|[;\s])(import|export)\s+(type\s+)?(?:[\w*${}\s,]+?\s+from\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** Every static or dynamic import in `text` that exists at run time. */
export function importsOf(text) {
  const out = [];
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  for (const m of code.matchAll(IMPORT)) {
    if (m[2]) continue; // import type / export type
    const spec = m[3] ?? m[4];
    if (spec) out.push(spec);
  }
  return out;
}

function walk(dir, files = []) {
  if (!existsSync(dir)) return files;
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, files);
    else if (SOURCE.test(name) && !name.endsWith(".d.ts")) files.push(path);
  }
  return files;
}

/** The package a file belongs to, and its "unit": the first folder under src/ (or the file itself at src/'s top). */
function locate(root, file) {
  const rel = relative(root, file).split(sep).join("/");
  for (const [name, pkg] of Object.entries(PACKAGES)) {
    if (!rel.startsWith(`${pkg.dir}/`)) continue;
    const inside = rel.slice(pkg.dir.length + 1);
    const parts = inside.split("/");
    const unit = parts[0] === "src" && parts.length > 2 ? parts[1] : parts[0] === "src" ? parts[1] : parts[0];
    return { pkg: name, unit, rel };
  }
  return undefined;
}

function allowed(from, to) {
  if (from === to) return true;
  const rule = PACKAGES[from];
  if (rule.may === "below") return PACKAGES[to].layer < rule.layer;
  return rule.may.includes(to);
}

const isTest = (rel) => /\.test\.tsx?$/.test(rel) || /test-support\.ts$/.test(rel) || rel.includes("/testing/") || rel.includes("/scripts/");

export function check(root) {
  const violations = [];
  const unitEdges = new Map(); // "pkg unitA" -> Map(unitB -> example "file -> spec")
  for (const pkg of Object.values(PACKAGES)) {
    for (const file of walk(join(root, pkg.dir))) {
      const here = locate(root, file);
      if (!here) continue;
      for (const spec of importsOf(readFileSync(file, "utf8"))) {
        const target = spec.startsWith("@polychip/") ? spec.split("/").slice(0, 2).join("/") : undefined;
        if (target) {
          if (!PACKAGES[target]) violations.push(`${here.rel}: imports unknown package ${target}`);
          else if (!allowed(here.pkg, target) && !(isTest(here.rel) && PACKAGES[target].layer <= PACKAGES[here.pkg].layer + 2)) {
            violations.push(`${here.rel}: ${here.pkg} may not import ${target} (${spec})`);
          }
          continue;
        }
        if (!spec.startsWith(".")) continue;
        const there = locate(root, resolve(dirname(file), spec));
        if (!there || there.pkg !== here.pkg) {
          if (there) violations.push(`${here.rel}: reaches into ${there.pkg} by a relative path (${spec}); import the package`);
          continue;
        }
        if (isTest(here.rel) || there.unit === here.unit) continue;
        if (here.pkg === "@polychip/engine" && ENGINE_LEAN.includes(here.unit) && ENGINE_EAGER.includes(there.unit)) {
          violations.push(`${here.rel}: the engine's lean half (${here.unit}/) may not import its eager half (${there.unit}) (${spec})`);
        }
        const key = `${here.pkg} ${here.unit}`;
        const edges = unitEdges.get(key) ?? new Map();
        if (!edges.has(there.unit)) edges.set(there.unit, `${here.rel} -> ${spec}`);
        unitEdges.set(key, edges);
      }
    }
  }
  violations.push(...folderCycles(unitEdges));
  return violations;
}

/** Strongly connected groups of folders (Tarjan); each group of two or more is one violation. */
function folderCycles(unitEdges) {
  const out = [];
  const byPkg = new Map();
  for (const [key, edges] of unitEdges) {
    const [pkg, unit] = key.split(" ");
    if (!byPkg.has(pkg)) byPkg.set(pkg, new Map());
    byPkg.get(pkg).set(unit, edges);
  }
  for (const [pkg, graph] of byPkg) {
    let index = 0;
    const idx = new Map();
    const low = new Map();
    const stack = [];
    const on = new Set();
    const visit = (v) => {
      idx.set(v, index);
      low.set(v, index++);
      stack.push(v);
      on.add(v);
      for (const w of graph.get(v)?.keys() ?? []) {
        if (!idx.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v), low.get(w)));
        } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
      }
      if (low.get(v) === idx.get(v)) {
        const group = [];
        let w;
        do {
          w = stack.pop();
          on.delete(w);
          group.push(w);
        } while (w !== v);
        if (group.length > 1) {
          const examples = group.flatMap((a) => group.filter((b) => graph.get(a)?.has(b)).map((b) => graph.get(a).get(b)));
          out.push(`${pkg}: import cycle between folders ${group.sort().join(", ")} (e.g. ${examples.slice(0, 3).join("; ")})`);
        }
      }
    };
    for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "../.."));
  const violations = check(root);
  for (const v of violations) process.stderr.write(`architecture: ${v}\n`);
  process.stdout.write(
    violations.length ? `architecture: ${violations.length} violation(s)\n` : "architecture: layering holds (no forbidden import, no folder cycle)\n",
  );
  process.exit(violations.length ? 1 : 0);
}
