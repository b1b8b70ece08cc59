import { formatShape, PolychipError, ShapeError } from "@polychip/hal";
import type { Tensor } from "../tensor.ts";
import { matmul } from "./linalg.ts";
import { sum } from "./reduce.ts";
import { expand, permute, reshape } from "./shape.ts";

interface Operand {
  t: Tensor;
  letters: string[];
}

const prod = (xs: number[]) => xs.reduce((a, b) => a * b, 1);

function parse(equation: string, count: number): { inputs: string[][]; output: string[] } {
  const eq = equation.replace(/\s+/g, "");
  if (eq.includes(".")) throw new PolychipError(`einsum: '...' (ellipsis) is not supported in ${JSON.stringify(equation)}; name every dim with a letter`);
  const [lhs, rhs] = eq.split("->") as [string, string | undefined];
  const inputs = lhs.split(",").map((s) => [...s]);
  if (inputs.length !== count) throw new PolychipError(`einsum: ${JSON.stringify(equation)} names ${inputs.length} operands, got ${count} tensors`);
  for (const l of [...lhs.replace(/,/g, ""), ...(rhs ?? "")]) {
    if (!/[a-zA-Z]/.test(l)) throw new PolychipError(`einsum: invalid subscript '${l}' in ${JSON.stringify(equation)}`);
  }
  // Implicit output: letters seen once, in alphabetical order, as torch.
  const counts = new Map<string, number>();
  inputs.flat().forEach((l) => counts.set(l, (counts.get(l) ?? 0) + 1));
  const output =
    rhs !== undefined
      ? [...rhs]
      : [...counts]
          .filter(([, c]) => c === 1)
          .map(([l]) => l)
          .sort();
  if (new Set(output).size !== output.length) throw new PolychipError(`einsum: output ${rhs} repeats a subscript`);
  for (const l of output) if (!counts.has(l)) throw new PolychipError(`einsum: output subscript '${l}' does not appear in any input`);
  return { inputs, output };
}

/** Sums away the letters that appear in this operand only and are not kept. */
function reduceOwn(op: Operand, keep: Set<string>): Operand {
  const dims = op.letters.map((l, i) => (keep.has(l) ? -1 : i)).filter((i) => i >= 0);
  if (!dims.length) return op;
  return { t: sum(op.t, dims), letters: op.letters.filter((l) => keep.has(l)) };
}

/** a (x) b over shared letters: batch letters (kept) and contracted ones, as one batched matmul. */
function contract(a: Operand, b: Operand, keep: Set<string>, size: Map<string, number>): Operand {
  const batch = a.letters.filter((l) => b.letters.includes(l) && keep.has(l));
  const summed = a.letters.filter((l) => b.letters.includes(l) && !keep.has(l));
  const left = a.letters.filter((l) => !b.letters.includes(l));
  const right = b.letters.filter((l) => !a.letters.includes(l));
  const sz = (ls: string[]) => ls.map((l) => size.get(l)!);
  const pa = permute(
    a.t,
    [...batch, ...left, ...summed].map((l) => a.letters.indexOf(l)),
  );
  const pb = permute(
    b.t,
    [...batch, ...summed, ...right].map((l) => b.letters.indexOf(l)),
  );
  const ma = reshape(pa, [prod(sz(batch)), prod(sz(left)), prod(sz(summed))]);
  const mb = reshape(pb, [prod(sz(batch)), prod(sz(summed)), prod(sz(right))]);
  const out = reshape(matmul(ma, mb), [...sz(batch), ...sz(left), ...sz(right)]);
  return { t: out, letters: [...batch, ...left, ...right] };
}

/**
 * torch.einsum over letters (no ellipsis, no repeated letter within one operand): operands are
 * contracted left to right, each pair as one batched matmul, so autograd comes from matmul and
 * permute. Dims of size 1 broadcast against the same letter elsewhere.
 */
export function einsum(equation: string, ...tensors: Tensor[]): Tensor {
  if (tensors.length === 0) throw new PolychipError("einsum: needs at least one tensor");
  const { inputs, output } = parse(equation, tensors.length);
  const size = new Map<string, number>();
  const ops: Operand[] = tensors.map((t, k) => {
    const letters = inputs[k]!;
    if (letters.length !== t.ndim)
      throw new ShapeError(`einsum: operand ${k} has ${t.ndim} dims ${formatShape(t.shape)}, the subscripts '${letters.join("")}' name ${letters.length}`);
    if (new Set(letters).size !== letters.length) throw new PolychipError(`einsum: repeated subscript in '${letters.join("")}' (diagonals) is not supported`);
    letters.forEach((l, i) => {
      const d = t.shape[i]!;
      const known = size.get(l);
      if (known !== undefined && known !== d && known !== 1 && d !== 1)
        throw new ShapeError(`einsum: subscript '${l}' is ${known} in one operand and ${d} in operand ${k}`);
      if (known === undefined || known === 1) size.set(l, d);
    });
    return { t, letters };
  });
  // Broadcast size-1 dims to the letter's full size, so reshapes in contract() see matching sizes.
  const grown = ops.map((o) =>
    o.letters.some((l, i) => o.t.shape[i] !== size.get(l))
      ? {
          ...o,
          t: expand(
            o.t,
            o.letters.map((l) => size.get(l)!),
          ),
        }
      : o,
  );
  const needed = (from: number) => new Set([...output, ...grown.slice(from).flatMap((o) => o.letters)]);
  let acc = reduceOwn(grown[0]!, needed(1));
  for (let k = 1; k < grown.length; k++) {
    const keep = needed(k + 1);
    const next = reduceOwn(grown[k]!, new Set([...keep, ...acc.letters]));
    acc = contract(reduceOwn(acc, new Set([...keep, ...next.letters])), next, keep, size);
  }
  acc = reduceOwn(acc, new Set(output));
  const order = output.map((l) => acc.letters.indexOf(l));
  return order.every((v, i) => v === i) ? reshape(acc.t, acc.t.shape) : permute(acc.t, order);
}
