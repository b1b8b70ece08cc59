export * from "./ir.ts";
export { printGraph } from "./print.ts";
export { inferShapes, graphSymbols } from "./infer-shapes.ts";
export { validateGraph } from "./validate.ts";
export * from "./passes/index.ts";
