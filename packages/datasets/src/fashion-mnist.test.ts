import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { gzipSync } from "node:zlib";
import { FormatError, PolychipError } from "@polychip/hal";
import { loadFashionMnist as loadInBrowserStyle } from "./browser.ts";
import {
  DEBIAN_FASHION_MNIST_DIR,
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_FILES,
  FASHION_MNIST_MEAN,
  FASHION_MNIST_STD,
  fashionMnistSubsetUrl,
  IMAGE_PIXELS,
  type FashionMnist,
} from "./fashion-mnist.ts";
import { encodeIdxImages, encodeIdxLabels } from "./idx.ts";
import { fashionMnistSubsetDir, loadFashionMnist } from "./node.ts";

/** gzipSync's Buffer as a plain Uint8Array (@types/node 20.9's Buffer does not type-check as one under TS 5.9). */
function gzip(bytes: Uint8Array): Uint8Array {
  const packed = gzipSync(bytes);
  return new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength);
}

const absentDir = "/nonexistent/polychip-fashion-mnist";

/** Serves the committed subset folder on 127.0.0.1, 404 for anything else. */
let server: Server;
let baseUrl: string;
before(async () => {
  server = createServer(async (request, response) => {
    const name = (request.url ?? "").replace(/^\/subset\//, "");
    if (!(Object.values(FASHION_MNIST_FILES) as string[]).includes(name)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": "application/octet-stream" });
    response.end(new Uint8Array(await readFile(join(fashionMnistSubsetDir, name))));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  assert.ok(address && typeof address === "object");
  baseUrl = `http://127.0.0.1:${address.port}/subset/`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

let subset: Promise<FashionMnist> | undefined;
const loadSubset = () => (subset ??= loadFashionMnist({ subset: true }));

/** Writes the four files into a fresh temporary folder, letting a test break one of them. */
async function writeDir(files: Partial<Record<keyof typeof FASHION_MNIST_FILES, Uint8Array>>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "polychip-fmnist-"));
  const images = (count: number) => encodeIdxImages({ count, rows: 28, cols: 28, pixels: new Uint8Array(count * IMAGE_PIXELS) });
  const labels = (values: number[]) => encodeIdxLabels({ count: values.length, labels: Uint8Array.from(values) });
  const all = {
    trainImages: gzip(images(3)),
    trainLabels: gzip(labels([0, 1, 2])),
    testImages: images(2),
    testLabels: labels([9, 0]),
    ...files,
  };
  for (const [key, bytes] of Object.entries(all)) {
    await writeFile(join(dir, FASHION_MNIST_FILES[key as keyof typeof FASHION_MNIST_FILES]), bytes);
  }
  return dir;
}

test("the class names are the ten Fashion-MNIST classes in label order", () => {
  assert.equal(FASHION_MNIST_CLASSES.length, 10);
  assert.equal(FASHION_MNIST_CLASSES[0], "T-shirt/top");
  assert.equal(FASHION_MNIST_CLASSES[9], "Ankle boot");
});

test("the embedded subset has 10,000 train and 2,000 test images with labels 0..9", async () => {
  const data = await loadSubset();
  assert.equal(data.source, "embedded");
  assert.deepEqual([data.train.count, data.test.count], [10_000, 2_000]);
  assert.equal(data.train.images.length, 10_000 * IMAGE_PIXELS);
  assert.equal(data.test.labels.length, 2_000);
  for (const split of [data.train, data.test]) {
    assert.equal(Math.max(...split.labels), 9);
    assert.equal(Math.min(...split.labels), 0);
  }
  assert.match(data.description, /embedded subset .*10000 train, 2000 test/);
});

test("the embedded subset keeps every class between 8% and 12% of each split", async () => {
  const data = await loadSubset();
  for (const split of [data.train, data.test]) {
    const counts = new Array(10).fill(0);
    for (const label of split.labels) counts[label]++;
    for (const count of counts) assert.ok(count > 0.08 * split.count && count < 0.12 * split.count, `${counts}`);
  }
});

test("the subset folder resolves from the module URL and holds the licence", () => {
  assert.equal(fashionMnistSubsetUrl().protocol, "file:");
  assert.ok(existsSync(join(fashionMnistSubsetDir, "LICENSE")));
  assert.ok(existsSync(join(fashionMnistSubsetDir, FASHION_MNIST_FILES.trainImages)));
});

test("without the Debian folder the loader falls back to the embedded subset", async () => {
  const data = await loadFashionMnist({ systemDir: absentDir });
  assert.equal(data.source, "embedded");
  assert.equal(data.train.count, 10_000);
});

test("the full Debian set is found when installed", async (t) => {
  if (!existsSync(DEBIAN_FASHION_MNIST_DIR)) {
    t.skip(`${DEBIAN_FASHION_MNIST_DIR} is absent: Debian package dataset-fashion-mnist not installed (scripts/setup-system.sh installs it)`);
    return;
  }
  const data = await loadFashionMnist();
  assert.equal(data.source, "debian");
  assert.deepEqual([data.train.count, data.test.count], [60_000, 10_000]);
  assert.match(data.description, /full set from Debian/);
  // The subset is the head of the full set, byte for byte.
  const head = await loadSubset();
  assert.deepEqual(data.train.labels.subarray(0, 10_000), head.train.labels);
  assert.deepEqual(data.test.images.subarray(0, 2_000 * IMAGE_PIXELS), head.test.images);
});

test("an explicit dir is read, gzipped or raw, with source 'dir'", async () => {
  const dir = await writeDir({});
  try {
    const data = await loadFashionMnist({ dir });
    assert.equal(data.source, "dir");
    assert.deepEqual([data.train.count, data.test.count], [3, 2]);
    assert.deepEqual([...data.test.labels], [9, 0]);
  } finally {
    await rm(dir, { recursive: true });
  }
});

test("a count mismatch between images and labels is a FormatError naming both files", async () => {
  const dir = await writeDir({ trainLabels: gzip(encodeIdxLabels({ count: 4, labels: Uint8Array.from([0, 1, 2, 3]) })) });
  try {
    await assert.rejects(
      loadFashionMnist({ dir }),
      (error: unknown) =>
        error instanceof FormatError && /train-images-idx3-ubyte.gz has 3 images but .*train-labels-idx1-ubyte.gz has 4 labels/.test(error.message),
    );
  } finally {
    await rm(dir, { recursive: true });
  }
});

test("a label outside 0..9 is a FormatError", async () => {
  const dir = await writeDir({ testLabels: encodeIdxLabels({ count: 2, labels: Uint8Array.from([3, 10]) }) });
  try {
    await assert.rejects(loadFashionMnist({ dir }), /t10k-labels-idx1-ubyte.gz: label 10 at index 1 is not a class/);
  } finally {
    await rm(dir, { recursive: true });
  }
});

test("images that are not 28×28 are a FormatError", async () => {
  const dir = await writeDir({ testImages: encodeIdxImages({ count: 2, rows: 2, cols: 2, pixels: new Uint8Array(8) }) });
  try {
    await assert.rejects(loadFashionMnist({ dir }), /t10k-images-idx3-ubyte.gz: Fashion-MNIST images are 28×28, the file has 2×2/);
  } finally {
    await rm(dir, { recursive: true });
  }
});

test("a missing file in an explicit dir is a FormatError naming its path", async () => {
  await assert.rejects(loadFashionMnist({ dir: absentDir }), (error: unknown) => error instanceof FormatError && error.message.startsWith(`${absentDir}/`));
});

test("a url is fetched over HTTP with source 'url'", async () => {
  const data = await loadFashionMnist({ url: baseUrl });
  assert.equal(data.source, "url");
  assert.deepEqual([data.train.count, data.test.count], [10_000, 2_000]);
  const head = await loadSubset();
  assert.deepEqual(data.test.labels, head.test.labels);
});

test("the browser entry loads a url with DecompressionStream", async () => {
  const data = await loadInBrowserStyle({ url: baseUrl.replace(/\/$/, "") });
  assert.equal(data.source, "url");
  assert.equal(data.test.count, 2_000);
});

test("an HTTP error is a FormatError naming the URL and status", async () => {
  await assert.rejects(
    loadFashionMnist({ url: `${baseUrl}missing/` }),
    (error: unknown) => error instanceof FormatError && /\/subset\/missing\/.*-ubyte.gz: could not fetch .*HTTP 404/.test(error.message),
  );
});

test("giving both dir and url is refused", async () => {
  await assert.rejects(loadFashionMnist({ dir: "/tmp", url: baseUrl }), PolychipError);
});

test("the subset's pixel mean and std agree with the published 0.2860 and 0.3530", async () => {
  const { train } = await loadSubset();
  let sum = 0;
  let squares = 0;
  for (const pixel of train.images) {
    sum += pixel / 255;
    squares += (pixel / 255) ** 2;
  }
  const mean = sum / train.images.length;
  const std = Math.sqrt(squares / train.images.length - mean * mean);
  assert.ok(Math.abs(mean - FASHION_MNIST_MEAN) < 0.005, `mean ${mean}`);
  assert.ok(Math.abs(std - FASHION_MNIST_STD) < 0.005, `std ${std}`);
});

test("a data folder with a directory where a file belongs names the file and what was expected, not a raw EISDIR", async () => {
  const dir = await mkdtemp(join(tmpdir(), "polychip-fm-"));
  try {
    for (const name of Object.values(FASHION_MNIST_FILES)) await mkdir(join(dir, name));
    await assert.rejects(
      loadFashionMnist({ dir }),
      (e: Error) =>
        e instanceof FormatError &&
        // The files load in parallel: whichever is read first names itself.
        Object.values(FASHION_MNIST_FILES).some((name) => e.message.includes(join(dir, name))) &&
        /is a directory; expected the Fashion-MNIST file/.test(e.message) &&
        !/EISDIR/.test(e.message),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
