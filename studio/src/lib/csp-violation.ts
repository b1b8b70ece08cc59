/** A Content-Security-Policy violation as one console line a user can act on. */
export interface ViolationLike {
  effectiveDirective: string;
  blockedURI: string;
}

const WHAT: Record<string, string> = {
  "connect-src": "a request",
  "script-src": "loading a script or module",
  "script-src-elem": "loading a script or module",
  "worker-src": "starting a worker",
  "img-src": "loading an image",
  "frame-src": "opening a frame",
};

export function describeViolation(v: ViolationLike): string {
  const what = WHAT[v.effectiveDirective] ?? "a load";
  const target = v.blockedURI && v.blockedURI !== "inline" && v.blockedURI !== "eval" ? ` to ${v.blockedURI}` : ` (${v.blockedURI || "unknown"})`;
  return `blocked by the studio's Content-Security-Policy (${v.effectiveDirective}): ${what}${target}; code here can reach only the studio's own files`;
}
