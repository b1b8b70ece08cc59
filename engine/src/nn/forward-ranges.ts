import { profiler } from "../core/profiler.ts";

/**
 * Module ranges for the profiler: each class's own `forward` is wrapped once (on its prototype) so
 * that, while the profiler records, a call opens a range named by the module's path from the
 * outermost module running ("Sequential/Conv2d[0]", "CharModel/Linear[head]"). When nothing
 * records, the wrapper costs one field read.
 */

interface Frame {
  module: object;
  name: string;
}

type Forward = (...args: unknown[]) => unknown;

const wrapped = new WeakSet<object>();
const stack: Frame[] = [];
/** Per parent, each descendant's dotted path as the parent names it (namedModules), built on first need. */
const pathsByParent = new WeakMap<object, Map<object, string>>();

interface Named {
  namedModules(): [string, object][];
}

function namedModulesOf(parent: object): [string, object][] {
  try {
    return (parent as Named).namedModules();
  } catch {
    return []; // a module stored where it cannot be named: training reports that; the range is just unnamed
  }
}

function childPath(parent: object, child: object): string | undefined {
  let paths = pathsByParent.get(parent);
  if (!paths || !paths.has(child)) {
    // A child added after the first call: rebuild once.
    paths = new Map(namedModulesOf(parent).map(([name, m]) => [m, name] as [object, string]));
    pathsByParent.set(parent, paths);
  }
  return paths.get(child);
}

function rangeName(module: object): string {
  const cls = module.constructor.name || "Module";
  const parent = stack[stack.length - 1];
  if (!parent) return cls;
  const path = childPath(parent.module, module);
  return `${parent.name}/${cls}${path ? `[${path}]` : ""}`;
}

/** Wraps `forward` on every prototype from `proto` up to (not including) `base`, each once. */
export function instrumentForward(proto: object | null, base: object): void {
  for (let p = proto; p && p !== base && !wrapped.has(p); p = Object.getPrototypeOf(p)) {
    wrapped.add(p);
    const own = Object.getOwnPropertyDescriptor(p, "forward");
    if (!own || typeof own.value !== "function") continue;
    const original = own.value as Forward;
    const forward = function (this: object, ...args: unknown[]): unknown {
      // super.forward() of the module already on top is the same module: no second range.
      if (!profiler.recording || stack[stack.length - 1]?.module === this) return original.apply(this, args);
      const name = rangeName(this);
      const end = profiler.beginRange(name, "module");
      stack.push({ module: this, name });
      try {
        return original.apply(this, args);
      } finally {
        stack.pop();
        end();
      }
    };
    Object.defineProperty(forward, "name", { value: original.name });
    Object.defineProperty(p, "forward", { ...own, value: forward });
  }
}
