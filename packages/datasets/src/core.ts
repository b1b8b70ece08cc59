/** The platform-neutral API, shared by the Node entry (index.ts) and the browser entry (browser.ts). */
export * from "./idx.ts";
export * from "./gunzip-web.ts";
export * from "./fashion-mnist.ts";
export * from "./loader.ts";
export * from "./shuffle.ts";
