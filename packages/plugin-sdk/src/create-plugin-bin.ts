#!/usr/bin/env -S node --import tsx
import { createPluginMain } from "./scaffold/cli.ts";

process.exitCode = createPluginMain(
  process.argv.slice(2),
  (s) => process.stdout.write(`${s}\n`),
  (s) => process.stderr.write(`${s}\n`),
);
