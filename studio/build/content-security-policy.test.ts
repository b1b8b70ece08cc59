import { test } from "node:test";
import assert from "node:assert/strict";
import { contentSecurityPolicy, isWorkerScript } from "./content-security-policy.ts";

const directive = (policy: string, name: string) => policy.split("; ").find((d) => d.startsWith(`${name} `))?.split(" ").slice(1) ?? [];

test("the built studio's policy names no host: only its own origin and local schemes", () => {
  for (const target of ["page", "worker"] as const) {
    const policy = contentSecurityPolicy("build", target);
    for (const d of ["default-src", "script-src", "connect-src", "worker-src"]) {
      for (const source of directive(policy, d)) assert.match(source, /^('[a-z-]+'|blob:|data:)$/, `${target} ${d} allows ${source}`);
    }
  }
});

test("only the run worker may evaluate strings; the page may not, and nothing inline runs in a build", () => {
  assert.ok(directive(contentSecurityPolicy("build", "worker"), "script-src").includes("'unsafe-eval'"));
  assert.ok(!directive(contentSecurityPolicy("build", "page"), "script-src").includes("'unsafe-eval'"));
  assert.ok(!directive(contentSecurityPolicy("build", "page"), "script-src").includes("'unsafe-inline'"));
});

test("worker scripts are recognised in dev and in a build", () => {
  assert.ok(isWorkerScript("/src/worker/studio.worker.ts?worker_file&type=module"));
  assert.ok(isWorkerScript("/assets/studio.worker-Cq3x9.js"));
  assert.ok(!isWorkerScript("/assets/index-Cq3x9.js"));
  assert.ok(!isWorkerScript("/"));
});
