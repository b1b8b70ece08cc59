// Regenerates docs/device-coverage.md: node --import tsx packages/devices/scripts/write-coverage.ts
import { writeFileSync } from "node:fs";
import { coverageMarkdown } from "../src/coverage.ts";

const target = new URL("../../../docs/device-coverage.md", import.meta.url);
writeFileSync(target, coverageMarkdown());
process.stdout.write(`wrote ${target.pathname}\n`);
