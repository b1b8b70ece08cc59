/**
 * `pnpm studio`: builds the studio, serves it on 127.0.0.1 and prints the URL.
 * Options: --port N (default 5173; 0 picks a free one), --no-build (serve the last build).
 */
import { startStudioServer } from "./server.ts";

const args = process.argv.slice(2);
const portArg = args.indexOf("--port");
const port = portArg >= 0 ? Number(args[portArg + 1]) : Number(process.env.PORT ?? 5173);
const server = await startStudioServer({ port, skipBuild: args.includes("--no-build") });
process.stdout.write(`\nPolychip Studio is running at ${server.url}\n(press Ctrl+C to stop)\n`);
const stop = () => void server.close().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
