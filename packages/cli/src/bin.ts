import { PolychipError } from "@polychip/hal";
import { main } from "./main.ts";

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof PolychipError || (err as Error)?.name?.endsWith("Error")) {
      process.stderr.write(`polychip: ${(err as Error).name}: ${(err as Error).message}\n`);
      if (process.env.POLYCHIP_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    } else process.stderr.write(`polychip: ${String(err)}\n`);
    process.exit(1);
  },
);
