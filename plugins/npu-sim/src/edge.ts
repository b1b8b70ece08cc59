/** The int8-only edge device as a module of its own, so it loads by path like any plugin (`loadPlugin("…/edge.ts")`). */
export { npuSimEdgePlugin as default } from "./index.ts";
