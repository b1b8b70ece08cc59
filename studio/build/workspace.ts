/** Paths of the Polychip workspace as seen from the studio package. */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const STUDIO_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");
export const WORKSPACE_DIR = join(STUDIO_DIR, "..");
