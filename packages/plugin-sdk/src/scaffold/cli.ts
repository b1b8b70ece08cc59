import { relative } from "node:path";
import { PolychipError } from "@polychip/hal";
import { createPlugin } from "./create-plugin.ts";

const USAGE = "usage: polychip-create-plugin <name> [--dir D] [--device-name N] [--released | --hal HAL.tgz --sdk SDK.tgz] [--force]";

/** The bin's body: 0 on success, 2 on bad arguments or a refused directory. */
export function createPluginMain(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): number {
  try {
    let name: string | undefined;
    let dir: string | undefined;
    let force = false;
    let deviceName: string | undefined;
    let released = false;
    const tarballs: { hal?: string; sdk?: string } = {};
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === "--dir") dir = argv[++i];
      else if (a.startsWith("--dir=")) dir = a.slice("--dir=".length);
      else if (a === "--device-name") deviceName = argv[++i];
      else if (a === "--hal") tarballs.hal = argv[++i];
      else if (a === "--sdk") tarballs.sdk = argv[++i];
      else if (a === "--released") released = true;
      else if (a === "--force") force = true;
      else if (a.startsWith("-")) throw new PolychipError(`unknown option ${a}\n${USAGE}`);
      else if (name === undefined) name = a;
      else throw new PolychipError(`unexpected argument ${a}\n${USAGE}`);
    }
    if (!name || (dir !== undefined && !dir)) throw new PolychipError(USAGE);
    if (!tarballs.hal !== !tarballs.sdk) throw new PolychipError(`--hal and --sdk go together\n${USAGE}`);
    const dependencies = tarballs.hal && tarballs.sdk ? { hal: tarballs.hal, sdk: tarballs.sdk } : released ? "released" : undefined;
    const result = createPlugin(name, dir, { force, deviceName, dependencies });
    const where = relative(process.cwd(), result.dir) || ".";
    out(`created ${result.packageName} (device '${result.deviceName}') in ${where}: ${result.files.length} files`);
    out(`next: install its dependencies (pnpm install in this workspace, npm install elsewhere), then run its test (the conformance kit)`);
    return 0;
  } catch (e) {
    err(`polychip-create-plugin: ${e instanceof PolychipError ? e.message : ((e as Error)?.stack ?? e)}`);
    return 2;
  }
}
