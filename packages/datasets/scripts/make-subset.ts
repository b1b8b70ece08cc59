/**
 * Writes the embedded Fashion-MNIST subset committed in data/fashion-mnist-subset/: the first
 * 10,000 train and 2,000 test images of the full Debian set, as the four standard gzipped IDX
 * files, plus the dataset's licence and a README on provenance.
 *
 *   pnpm --filter @polychip/datasets make-subset     (or: npx tsx scripts/make-subset.ts)
 *
 * The output is deterministic (Node's gzip writes no timestamp), so rerunning it changes nothing.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import {
  DEBIAN_FASHION_MNIST_DIR,
  encodeIdxImages,
  encodeIdxLabels,
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_FILES,
  fashionMnistSubsetDir,
  IMAGE_COLS,
  IMAGE_PIXELS,
  IMAGE_ROWS,
  loadFashionMnist,
  type Split,
} from "../src/index.ts";

const TRAIN_COUNT = 10_000;
const TEST_COUNT = 2_000;
/** Reject a subset where any class strays more than this far from an even share. */
const BALANCE_TOLERANCE = 0.2;

const gzipAsync = promisify(gzip);

function firstN(split: Split, n: number): Split {
  return { images: split.images.subarray(0, n * IMAGE_PIXELS), labels: split.labels.subarray(0, n), count: n };
}

function checkBalance(name: string, split: Split): string {
  const counts = new Array<number>(FASHION_MNIST_CLASSES.length).fill(0);
  for (const label of split.labels) counts[label]!++;
  const even = split.count / FASHION_MNIST_CLASSES.length;
  counts.forEach((count, label) => {
    if (Math.abs(count - even) > BALANCE_TOLERANCE * even) {
      throw new Error(`${name}: class ${label} (${FASHION_MNIST_CLASSES[label]}) has ${count} of ${split.count} images`);
    }
  });
  return `${name} per class: ${counts.join(" ")}`;
}

async function writeGzipped(path: string, bytes: Uint8Array): Promise<number> {
  const packed = await gzipAsync(bytes, { level: 9 });
  await writeFile(path, new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength));
  return packed.byteLength;
}

const MIT_LICENSE = `The MIT License (MIT)

Copyright © 2017 Zalando SE, https://tech.zalando.com

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT
OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
`;

const README = `# Fashion-MNIST subset

The first ${TRAIN_COUNT.toLocaleString("en")} training and first ${TEST_COUNT.toLocaleString("en")} test images
of Fashion-MNIST (© 2017 Zalando SE, MIT licence, see LICENSE), cut from the full set installed by
Debian's \`dataset-fashion-mnist\` package (${DEBIAN_FASHION_MNIST_DIR}) by
\`packages/datasets/scripts/make-subset.ts\`; same IDX format and file names as the original.
`;

const full = await loadFashionMnist({ dir: DEBIAN_FASHION_MNIST_DIR });
const train = firstN(full.train, TRAIN_COUNT);
const test = firstN(full.test, TEST_COUNT);
const balance = [checkBalance("train", train), checkBalance("test", test)];

const out = fashionMnistSubsetDir;
await mkdir(out, { recursive: true });
const image = (split: Split) => encodeIdxImages({ count: split.count, rows: IMAGE_ROWS, cols: IMAGE_COLS, pixels: split.images });
const label = (split: Split) => encodeIdxLabels({ count: split.count, labels: split.labels });
const sizes = await Promise.all([
  writeGzipped(join(out, FASHION_MNIST_FILES.trainImages), image(train)),
  writeGzipped(join(out, FASHION_MNIST_FILES.trainLabels), label(train)),
  writeGzipped(join(out, FASHION_MNIST_FILES.testImages), image(test)),
  writeGzipped(join(out, FASHION_MNIST_FILES.testLabels), label(test)),
]);
await writeFile(join(out, "LICENSE"), MIT_LICENSE);
await writeFile(join(out, "README.md"), README);

const total = sizes.reduce((a, b) => a + b, 0);
console.log(`wrote ${out}: ${train.count} train, ${test.count} test, ${(total / 1e6).toFixed(2)} MB gzipped`);
for (const line of balance) console.log(line);
