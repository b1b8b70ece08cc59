/** Node entry: the platform-neutral core plus reading from disk and the full source resolution. */
export * from "./core.ts";
export * from "./node.ts";
