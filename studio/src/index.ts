/**
 * @polychip/studio is an application, not a library: this entry only exposes what other
 * workspace packages (the end-to-end tests) need: building and serving it, and the trace checker.
 */
export { buildStudio, startStudioServer, freePort, type StudioServer, type StudioServerOptions } from "../scripts/server.ts";
export { nestingProblems, type ChromeTrace, type ChromeTraceEvent } from "./lib/chrome-trace.ts";
