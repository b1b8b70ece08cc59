export * from "./basic.ts";
export * from "./creation.ts";
export * from "./shape.ts";
export * from "./reduce.ts";
export * from "./linalg.ts";
export * from "./indexing.ts";
export * from "./nn-functional.ts";
export * from "./devices-ops.ts";
export { sumToShape } from "./broadcast-grad.ts";
