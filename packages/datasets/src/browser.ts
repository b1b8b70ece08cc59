/**
 * Browser entry (picked by bundlers through the "browser" export condition): everything except
 * the Node file reading. Fashion-MNIST comes from an explicit URL or from the embedded subset,
 * which the page must serve next to this module (see README).
 */
import { PolychipError } from "@polychip/hal";
import {
  assembleFashionMnist,
  checkOneSourceGiven,
  describeFashionMnist,
  fashionMnistSubsetUrl,
  fetchFashionMnistFiles,
  type FashionMnist,
  type FashionMnistOptions,
} from "./fashion-mnist.ts";
import { gunzipWithStream } from "./gunzip-web.ts";

export * from "./core.ts";

/** Loads from `url` when given, else from the embedded subset served beside this package. */
export async function loadFashionMnist(options: FashionMnistOptions = {}): Promise<FashionMnist> {
  checkOneSourceGiven(options);
  if (options.dir !== undefined) {
    throw new PolychipError("loadFashionMnist: dir needs Node's file system; in a browser pass url");
  }
  const source = options.url !== undefined ? "url" : "embedded";
  const url = options.url ?? fashionMnistSubsetUrl();
  const { train, test } = await assembleFashionMnist(await fetchFashionMnistFiles(url), gunzipWithStream);
  return { train, test, source, description: describeFashionMnist(source, String(url), train, test) };
}
