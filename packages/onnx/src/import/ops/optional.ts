import { FormatError } from "@polychip/hal";
import { input, optionalInput, output, type OpImporter } from "./helpers.ts";

/**
 * Optional ops, lowered at import: whether an optional holds a value is known when the model is
 * planned (an optional graph input's presence is part of the plan's signature), so
 * OptionalHasElement folds to a constant and OptionalGetElement passes the value on.
 */

const optional: OpImporter = (ctx, node) => {
  const value = optionalInput(node, 0);
  if (!value && !node.attrs.has("type")) throw new FormatError(`${ctx.where()}: an empty Optional needs its 'type' attribute`);
  const out = output(node);
  if (out) ctx.declareContainer(out, { kind: "optional", value });
};

/** Opset 18 also takes a tensor or a sequence (always present) and an absent input (never present). */
const optionalHasElement: OpImporter = (ctx, node) => {
  const name = optionalInput(node, 0);
  const c = name ? ctx.container(name) : undefined;
  const present = !name ? false : c?.kind === "optional" ? c.value !== undefined : true;
  ctx.bind(output(node), ctx.const([present ? 1 : 0], [], "bool"));
};

const optionalGetElement: OpImporter = (ctx, node) => {
  const name = input(ctx, node, 0);
  const c = ctx.container(name);
  if (c?.kind !== "optional") return ctx.bind(output(node), name);
  if (c.value === undefined) throw new FormatError(`${ctx.where()}: optional '${name}' holds no value`);
  ctx.bind(output(node), c.value);
};

export const OPTIONAL_IMPORTERS: Record<string, OpImporter> = {
  Optional: optional,
  OptionalHasElement: optionalHasElement,
  OptionalGetElement: optionalGetElement,
};
