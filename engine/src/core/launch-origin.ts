/**
 * The graph node whose ops are being dispatched, as the runtime names it in errors (`node 4 (gather
 * 'pick' → %rows)`), or undefined (eager ops). The dispatcher puts it on every KernelCall it makes
 * (`call.origin`), so a device that reports a launch's error only at a later read (the webgpu fault
 * record) names the node as an error thrown at launch does. Module state rather than a parameter:
 * a node reaches its launches through runOp, decompositions and fallbacks, none of which know the graph.
 */
let current: string | undefined;

export function launchOrigin(): string | undefined {
  return current;
}

/** Sets the origin of the launches that follow and returns the one it replaces (restore it after the node). */
export function setLaunchOrigin(origin: string | undefined): string | undefined {
  const before = current;
  current = origin;
  return before;
}
