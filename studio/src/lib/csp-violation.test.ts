import { test } from "node:test";
import assert from "node:assert/strict";
import { describeViolation } from "./csp-violation.ts";

test("a blocked request names the directive and the address", () => {
  assert.equal(
    describeViolation({ effectiveDirective: "connect-src", blockedURI: "https://example.com/collect" }),
    "blocked by the studio's Content-Security-Policy (connect-src): a request to https://example.com/collect; code here can reach only the studio's own files",
  );
});

test("a blocked remote module says it was a script load", () => {
  assert.match(
    describeViolation({ effectiveDirective: "script-src-elem", blockedURI: "https://cdn.example/x.js" }),
    /\(script-src-elem\): loading a script or module to https:\/\/cdn\.example\/x\.js/,
  );
});
