/**
 * Fashion-MNIST (© Zalando SE, MIT licence): 28×28 greyscale images of clothes in 10 classes.
 * This file is the platform-neutral part: file names, class names, assembling the four IDX files
 * into splits, and fetching them from a URL. Reading from disk lives in node.ts.
 */
import { FormatError, PolychipError } from "@polychip/hal";
import { decodeIdxImages, decodeIdxLabels, type Gunzip } from "./idx.ts";

export const IMAGE_ROWS = 28;
export const IMAGE_COLS = 28;
export const IMAGE_PIXELS = IMAGE_ROWS * IMAGE_COLS;

/** Class names in label order: label k is FASHION_MNIST_CLASSES[k]. */
export const FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"] as const;

export const FASHION_MNIST_CLASS_COUNT = FASHION_MNIST_CLASSES.length;

/** Per-pixel statistics of the training set after scaling to [0, 1]. */
export const FASHION_MNIST_MEAN = 0.286;
export const FASHION_MNIST_STD = 0.353;

/** The four standard file names, as published and as installed by Debian's dataset-fashion-mnist. */
export const FASHION_MNIST_FILES = {
  trainImages: "train-images-idx3-ubyte.gz",
  trainLabels: "train-labels-idx1-ubyte.gz",
  testImages: "t10k-images-idx3-ubyte.gz",
  testLabels: "t10k-labels-idx1-ubyte.gz",
} as const;

export type FashionMnistFile = keyof typeof FASHION_MNIST_FILES;

/** Where Debian's dataset-fashion-mnist installs the full set. */
export const DEBIAN_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

/** The committed subset, relative to the package root (the studio serves these files). */
export const FASHION_MNIST_SUBSET_PATH = "data/fashion-mnist-subset";

/**
 * URL of the committed subset folder, resolved against this module. Built from a variable, not a
 * literal, so bundlers leave it to run time instead of trying to inline a folder as an asset.
 */
export function fashionMnistSubsetUrl(): URL {
  const relative = `../${FASHION_MNIST_SUBSET_PATH}/`;
  return new URL(relative, import.meta.url);
}

/** One split: `count` images of 28×28 u8 pixels, row-major, one after the other, and their labels. */
export interface Split {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export type FashionMnistSource = "debian" | "dir" | "url" | "embedded";

export interface FashionMnist {
  train: Split;
  test: Split;
  source: FashionMnistSource;
  /** One line for logs: where the data came from and how much of it there is. */
  description: string;
}

export interface FashionMnistOptions {
  /** A folder holding the four standard files (Node only). */
  dir?: string;
  /** A base URL where the four standard files live, fetched with `fetch`. */
  url?: string | URL;
  /** Use the embedded subset even when the full Debian set is installed (small and fast). */
  subset?: boolean;
}

/** The raw (possibly gzipped) bytes of each file plus a name to put in error messages. */
export type FashionMnistFileBytes = Record<FashionMnistFile, { bytes: Uint8Array; name: string }>;

/** Decodes the four files into train and test splits, checking that they fit together. */
export async function assembleFashionMnist(files: FashionMnistFileBytes, gunzip: Gunzip): Promise<{ train: Split; test: Split }> {
  const [train, test] = await Promise.all([
    assembleSplit(files.trainImages, files.trainLabels, gunzip),
    assembleSplit(files.testImages, files.testLabels, gunzip),
  ]);
  return { train, test };
}

async function assembleSplit(imagesFile: { bytes: Uint8Array; name: string }, labelsFile: { bytes: Uint8Array; name: string }, gunzip: Gunzip): Promise<Split> {
  const [images, labels] = await Promise.all([
    decodeIdxImages(imagesFile.bytes, imagesFile.name, gunzip),
    decodeIdxLabels(labelsFile.bytes, labelsFile.name, gunzip),
  ]);
  if (images.rows !== IMAGE_ROWS || images.cols !== IMAGE_COLS) {
    throw new FormatError(`${imagesFile.name}: Fashion-MNIST images are ${IMAGE_ROWS}×${IMAGE_COLS}, the file has ${images.rows}×${images.cols}`);
  }
  if (images.count !== labels.count) {
    throw new FormatError(`${imagesFile.name} has ${images.count} images but ${labelsFile.name} has ${labels.count} labels`);
  }
  const bad = labels.labels.findIndex((label) => label >= FASHION_MNIST_CLASS_COUNT);
  if (bad >= 0) {
    throw new FormatError(`${labelsFile.name}: label ${labels.labels[bad]} at index ${bad} is not a class (0..${FASHION_MNIST_CLASS_COUNT - 1})`);
  }
  return { images: images.pixels, labels: labels.labels, count: images.count };
}

/** Fetches the four standard files from a base URL (a trailing slash is added when missing). */
export async function fetchFashionMnistFiles(url: string | URL): Promise<FashionMnistFileBytes> {
  const base = new URL(String(url).endsWith("/") ? String(url) : `${String(url)}/`);
  const entries = await Promise.all(
    (Object.keys(FASHION_MNIST_FILES) as FashionMnistFile[]).map(async (key) => {
      const fileUrl = new URL(FASHION_MNIST_FILES[key], base).href;
      let response: Response;
      try {
        response = await fetch(fileUrl);
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        throw new FormatError(`${fileUrl}: could not fetch Fashion-MNIST file (${why})`);
      }
      if (!response.ok) {
        throw new FormatError(`${fileUrl}: could not fetch Fashion-MNIST file (HTTP ${response.status})`);
      }
      return [key, { bytes: new Uint8Array(await response.arrayBuffer()), name: fileUrl }] as const;
    }),
  );
  return Object.fromEntries(entries) as FashionMnistFileBytes;
}

export function describeFashionMnist(source: FashionMnistSource, where: string, train: Split, test: Split): string {
  const what = {
    debian: "full set from Debian's dataset-fashion-mnist",
    dir: "files from a folder",
    url: "files from a URL",
    embedded: "embedded subset",
  }[source];
  return `Fashion-MNIST ${what} (${where}): ${train.count} train, ${test.count} test images`;
}

export function checkOneSourceGiven(options: FashionMnistOptions): void {
  if (options.dir !== undefined && options.url !== undefined) {
    throw new PolychipError("loadFashionMnist: give either dir or url, not both");
  }
}
