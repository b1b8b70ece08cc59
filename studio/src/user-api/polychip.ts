/**
 * The module user code imports as "polychip": the whole engine plus the studio's helpers.
 * Its source, the engine's and the HAL's are what Monaco's IntelliSense reads.
 */
export * from "@polychip/engine";
export * from "./helpers.ts";
// Both export `log`; in the studio it is the metrics logger (the elementwise logarithm is `x.log()`).
export { log } from "./helpers.ts";
/** The engine's elementwise natural logarithm, under a name that does not clash with the logger. */
export { log as logarithm } from "@polychip/engine";
