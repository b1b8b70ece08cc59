#!/usr/bin/env node
// The published bin: the compiled conformance kit (in the repository, src/bin.ts runs through tsx).
await import("../dist/bin.js");
