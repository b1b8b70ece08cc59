import { PolychipError } from "@polychip/hal";

/**
 * The layers of a Transformer stack, one per call of `makeLayer` (torch deep-copies one layer; JS
 * modules cannot be deep-copied reliably), checked: a factory, a positive count, instances of
 * `kind`, each a new one.
 */
export function buildLayers<T extends object>(owner: string, kind: abstract new (...args: never[]) => T, makeLayer: () => T, numLayers: number): T[] {
  if (typeof makeLayer !== "function") throw new PolychipError(`${owner}: pass a function that builds one layer, e.g. () => new ${kind.name}(64, 4)`);
  if (!Number.isInteger(numLayers) || numLayers < 1) throw new PolychipError(`${owner}: numLayers must be a positive integer, got ${numLayers}`);
  const layers = Array.from({ length: numLayers }, makeLayer);
  if (layers.some((l) => !(l instanceof kind))) throw new PolychipError(`${owner}: the factory must return ${kind.name} instances`);
  if (new Set(layers).size !== layers.length) throw new PolychipError(`${owner}: the factory returned the same layer twice; it must build a new one per call`);
  return layers;
}
