import type { Attrs } from "../device.ts";
import { ShapeError } from "../errors.ts";

export function numAttr(op: string, attrs: Attrs, name: string, fallback?: number): number {
  const v = attrs[name];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw new ShapeError(`${op}: missing attribute '${name}'`);
  }
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v !== "number") throw new ShapeError(`${op}: attribute '${name}' must be a number, got ${JSON.stringify(v)}`);
  return v;
}

export function boolAttr(attrs: Attrs, name: string, fallback = false): boolean {
  const v = attrs[name];
  return v === undefined || v === null ? fallback : Boolean(v);
}

export function listAttr(op: string, attrs: Attrs, name: string, fallback?: readonly number[]): number[] {
  const v = attrs[name];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return [...fallback];
    throw new ShapeError(`${op}: missing attribute '${name}'`);
  }
  if (!Array.isArray(v)) throw new ShapeError(`${op}: attribute '${name}' must be a list of numbers`);
  return [...(v as number[])];
}
