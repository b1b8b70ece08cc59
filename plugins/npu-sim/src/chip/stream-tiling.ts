import type { TileProgram } from "./tile-program.ts";

/** Tiles per core a streaming kernel aims for, so DMA of one tile overlaps compute of another. */
const TILES_PER_CORE = 2;

/**
 * Elements per tile for a streaming (elementwise) kernel over `n` elements: whole vectors, at most
 * what fits the neuron RAM double-buffered after `reservedBytes` of parameters, and small enough
 * that every core gets a couple of tiles to pipeline. Reserves the footprint.
 */
export function planStream(prog: TileProgram, n: number, bytesPerElement: number, reservedBytes = 0): number {
  const lanes = prog.profile.vectorLanes;
  const fit = Math.floor((prog.neuronCapacity - reservedBytes) / (2 * bytesPerElement));
  const spread = Math.ceil(Math.ceil(n / (prog.profile.cores * TILES_PER_CORE)) / lanes) * lanes;
  const tile = Math.max(1, Math.min(fit >= lanes ? fit - (fit % lanes) : fit, spread, n));
  prog.reserve(reservedBytes + 2 * tile * bytesPerElement, 0, `a stream of ${n} elements`);
  return tile;
}
