/** Console output of user code as text: tensors by their description, objects as compact JSON. */
export function formatValue(value: unknown, depth = 0): string {
  if (typeof value === "string") return depth === 0 ? value : JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint" || value === undefined || value === null) return String(value);
  if (typeof value === "function") return `[function ${value.name || "anonymous"}]`;
  if (value instanceof Error) return value.stack && depth === 0 ? `${value.name}: ${value.message}` : `${value.name}: ${value.message}`;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const arr = Array.from(value as unknown as ArrayLike<number>);
    const shown = arr.slice(0, 20).map((v) => (Number.isInteger(v) ? String(v) : v.toPrecision(5)));
    return `${value.constructor.name}(${arr.length}) [${shown.join(", ")}${arr.length > 20 ? ", …" : ""}]`;
  }
  if (depth > 3) return "…";
  const own = value as { toString?: () => string };
  if (
    typeof own.toString === "function" &&
    own.toString !== Object.prototype.toString &&
    !Array.isArray(value) &&
    !(value instanceof Map) &&
    !(value instanceof Set)
  ) {
    return own.toString();
  }
  if (Array.isArray(value)) {
    const items = value.slice(0, 50).map((v) => formatValue(v, depth + 1));
    return `[${items.join(", ")}${value.length > 50 ? `, … ${value.length - 50} more` : ""}]`;
  }
  if (value instanceof Map)
    return `Map(${value.size}) {${[...value]
      .slice(0, 20)
      .map(([k, v]) => `${formatValue(k, depth + 1)} => ${formatValue(v, depth + 1)}`)
      .join(", ")}}`;
  if (value instanceof Set)
    return `Set(${value.size}) {${[...value]
      .slice(0, 20)
      .map((v) => formatValue(v, depth + 1))
      .join(", ")}}`;
  const entries = Object.entries(value as Record<string, unknown>).slice(0, 30);
  return `{ ${entries.map(([k, v]) => `${k}: ${formatValue(v, depth + 1)}`).join(", ")} }`;
}

export function formatArgs(args: readonly unknown[]): string {
  return args.map((a) => formatValue(a)).join(" ");
}
