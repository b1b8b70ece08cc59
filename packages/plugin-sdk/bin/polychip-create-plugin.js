#!/usr/bin/env node
// The published bin: the compiled scaffolder (in the repository, src/create-plugin-bin.ts runs through tsx).
await import("../dist/create-plugin-bin.js");
