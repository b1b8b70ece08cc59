import { check } from "./check.ts";

check().then(
  (r) => postMessage(r),
  (e: unknown) => postMessage(`error: ${String(e)}`),
);
