import { PolychipError } from "@polychip/hal";
import { loadPlugin } from "../resolve/load-plugin.ts";
import { runConformance } from "./run-conformance.ts";

export interface ConformanceArgs {
  readonly plugin: string;
  readonly ops?: string[];
  readonly json: boolean;
}

const USAGE = "usage: polychip-conformance <plugin package name or path> [--ops a,b] [--json]";

export function parseConformanceArgs(argv: readonly string[]): ConformanceArgs {
  let plugin: string | undefined;
  let ops: string[] | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--json") json = true;
    else if (a === "--ops" || a.startsWith("--ops=")) {
      const list = a === "--ops" ? argv[++i] : a.slice("--ops=".length);
      if (!list) throw new PolychipError(`--ops needs a comma-separated list of op names\n${USAGE}`);
      ops = list
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
    } else if (a === "--help" || a === "-h") throw new PolychipError(USAGE);
    else if (a.startsWith("--")) throw new PolychipError(`unknown option ${a}\n${USAGE}`);
    else if (plugin === undefined) plugin = a;
    else throw new PolychipError(`unexpected argument ${a}\n${USAGE}`);
  }
  if (!plugin) throw new PolychipError(USAGE);
  return { plugin, ops, json };
}

/** The bin's body: 0 when nothing failed, 1 when a case failed, 2 when the kit could not run. */
export async function conformanceMain(argv: readonly string[], out: (s: string) => void, err: (s: string) => void, cwd = process.cwd()): Promise<number> {
  try {
    const args = parseConformanceArgs(argv);
    const plugin = await loadPlugin(args.plugin, cwd);
    const report = await runConformance(plugin, { ops: args.ops, json: args.json });
    out(report.output);
    return report.ok ? 0 : 1;
  } catch (e) {
    err(e instanceof PolychipError ? `polychip-conformance: ${e.message}` : `polychip-conformance: ${(e as Error)?.stack ?? e}`);
    return 2;
  }
}
