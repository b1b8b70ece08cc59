/** Writes packages/onnx/OPS.md from the importer's registration table: node --import tsx scripts/generate-ops-md.ts */
import { writeFileSync } from "node:fs";
import { OPS_MD_FILE, opsMarkdown } from "../src/import/ops-table.ts";

writeFileSync(OPS_MD_FILE, opsMarkdown());
console.log(`wrote ${OPS_MD_FILE.pathname}`);
