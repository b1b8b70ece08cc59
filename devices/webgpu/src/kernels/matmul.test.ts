import { test } from "node:test";
import { ints, matchesCpu, t, values } from "../testing/harness.ts";

test("matmul of sizes that do not divide the 64 x 64 tile", async () => {
  for (const [m, k, n] of [
    [1, 1, 1],
    [3, 5, 7],
    [65, 17, 66],
    [2, 130, 3],
  ] as const) {
    await matchesCpu("matmul", [t(values(m * k, -1, 1, m), [m, k]), t(values(k * n, -1, 1, n), [k, n])], {}, { rtol: 1e-4, atol: 1e-5 });
  }
});

test("matmul with transposeA and transposeB", async () => {
  const a = values(4 * 6, -1, 1, 2);
  const b = values(6 * 5, -1, 1, 3);
  for (const transposeA of [false, true]) {
    for (const transposeB of [false, true]) {
      const as = transposeA ? [6, 4] : [4, 6];
      const bs = transposeB ? [5, 6] : [6, 5];
      await matchesCpu("matmul", [t(a, as), t(b, bs)], { transposeA, transposeB }, { rtol: 1e-5, atol: 1e-6 });
    }
  }
});

test("batched matmul over two batch dims", async () => {
  await matchesCpu(
    "matmul",
    [t(values(2 * 3 * 4 * 5, -1, 1, 4), [2, 3, 4, 5]), t(values(2 * 3 * 5 * 6, -1, 1, 5), [2, 3, 5, 6])],
    {},
    { rtol: 1e-5, atol: 1e-6 },
  );
});

test("matmul reads strided inputs (broadcast batch, transposed view) without copies", async () => {
  const a = t(values(12, -1, 1, 6), [3, 2, 4], "float32", { strides: [0, 4, 1], offset: 4 });
  const b = t(values(12, -1, 1, 7), [3, 4, 3], "float32", { strides: [0, 1, 4], offset: 0 });
  await matchesCpu("matmul", [a, b], {}, { rtol: 1e-5, atol: 1e-6 });
});

test("integer matmul (int32, int8 wraps on store)", async () => {
  await matchesCpu("matmul", [t(ints(12, -5, 5, 1), [3, 4], "int32"), t(ints(20, -5, 5, 2), [4, 5], "int32")]);
  await matchesCpu("matmul", [t(ints(12, -20, 20, 1), [3, 4], "int8"), t(ints(20, -20, 20, 2), [4, 5], "int8")]);
});

test("float16 matmul accumulates in float32", async () => {
  await matchesCpu("matmul", [t(values(15, -1, 1, 1), [3, 5], "float16"), t(values(10, -1, 1, 2), [5, 2], "float16")], {}, { rtol: 2e-3, atol: 2e-3 });
});

test("matmul with an empty inner dimension gives zeros", async () => {
  await matchesCpu("matmul", [t([], [2, 0]), t([], [0, 3])]);
});

test("every GEMM tile (32, 64, 128) gives the CPU's matmul on edge-heavy shapes, plain and transposed", async () => {
  const { forceGemmTile } = await import("../wgsl/tiled-gemm.ts");
  try {
    for (const tile of ["32", "64", "128"] as const) {
      forceGemmTile(tile);
      for (const [m, k, n] of [
        [1, 3, 1],
        [33, 17, 35],
        [130, 9, 129],
      ] as const) {
        await matchesCpu("matmul", [t(values(m * k, -1, 1, m), [m, k]), t(values(k * n, -1, 1, n), [k, n])], {}, { rtol: 1e-4, atol: 1e-5 });
        await matchesCpu(
          "matmul",
          [t(values(k * m, -1, 1, m), [k, m]), t(values(n * k, -1, 1, n), [n, k])],
          { transposeA: true, transposeB: true },
          { rtol: 1e-4, atol: 1e-5 },
        );
      }
    }
  } finally {
    forceGemmTile(undefined);
  }
});
