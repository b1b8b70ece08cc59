#!/usr/bin/env -S node --import tsx
import { conformanceMain } from "./kit/cli.ts";

process.exitCode = await conformanceMain(
  process.argv.slice(2),
  (s) => process.stdout.write(`${s}\n`),
  (s) => process.stderr.write(`${s}\n`),
);
