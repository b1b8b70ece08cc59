#!/usr/bin/env node
// The published bin: the compiled CLI, no TypeScript loader (in the repository, polychip.mjs runs src/ through tsx).
await import("../dist/bin.js");
