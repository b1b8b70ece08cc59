import { FormatError, UnsupportedOpError } from "@polychip/hal";
import { containerKind, elementName, optionalValueName, type ValueLayout } from "../containers.ts";
import type { TypeProto } from "../proto/types.ts";
import { dtypeForOnnx } from "../tensor.ts";
import type { ImportContext } from "./context.ts";

/**
 * Sequence and optional graph inputs and outputs (see containers.ts): an input's layout for this
 * import (ImportOptions.inputLayouts) declares its tensors as graph inputs and the value as a
 * Container over them; an output's Container is bound tensor by tensor to path-named outputs.
 */

/** Declares a tensor graph input (the importer's declaration, with its shape rules). */
export type DeclareTensorInput = (name: string, type: TypeProto | undefined) => void;

/** Declares graph input `name` of a sequence or optional type from its layout; returns the tensor inputs it declared. */
export function declareContainerInput(
  ctx: ImportContext,
  name: string,
  type: TypeProto,
  layout: ValueLayout | undefined,
  declareTensor: DeclareTensorInput,
): string[] {
  const kind = containerKind(type);
  if (!layout)
    throw new UnsupportedOpError(
      `ONNX graph input '${name}' is ${kind === "sequence" ? "a sequence: its length" : "an optional: whether it is present"} must be known at import ` +
        `(OnnxSession and the conformance runner take it from the value given; pass ImportOptions.inputLayouts)`,
    );
  const tensors: string[] = [];
  declareValue(ctx, name, type, layout, (n, t) => {
    declareTensor(n, t);
    tensors.push(n);
  });
  return tensors;
}

function declareValue(ctx: ImportContext, path: string, type: TypeProto | undefined, layout: ValueLayout, declareTensor: DeclareTensorInput): void {
  const kind = containerKind(type);
  const mismatch = () => new FormatError(`ONNX graph input '${path}' is declared ${kind ?? "a tensor"}, but its layout is ${JSON.stringify(layout)}`);
  if (kind === "sequence") {
    if (!("sequence" in layout)) throw mismatch();
    const elemType = type!.sequenceType!.elemType;
    const elements = layout.sequence.map((l, i) => {
      const element = elementName(path, i);
      declareValue(ctx, element, elemType, l, declareTensor);
      return element;
    });
    const elem = elemType?.tensorType?.elemType;
    ctx.declareContainer(path, { kind: "sequence", elements, ...(elem ? { dtype: dtypeForOnnx(elem, `ONNX graph input '${path}'`) } : {}) });
  } else if (kind === "optional") {
    if (!("optional" in layout)) throw mismatch();
    const value = layout.optional ? optionalValueName(path) : undefined;
    if (value) declareValue(ctx, value, type!.optionalType!.elemType, layout.optional!, declareTensor);
    ctx.declareContainer(path, { kind: "optional", value });
  } else {
    if (!("tensor" in layout) || layout.tensor !== path) throw mismatch();
    declareTensor(path, type);
  }
}

/** Binds the tensors of the sequence or optional `name` to path-named graph outputs; returns its layout. */
export function bindContainerOutput(ctx: ImportContext, path: string, value: string): ValueLayout {
  const container = ctx.container(value);
  if (!container) {
    ctx.bind(path, value);
    return { tensor: path };
  }
  if (container.kind === "sequence") return { sequence: container.elements.map((e, i) => bindContainerOutput(ctx, elementName(path, i), e)) };
  return { optional: container.value ? bindContainerOutput(ctx, optionalValueName(path), container.value) : null };
}
