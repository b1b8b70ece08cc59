import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

/** The files the browser entry pulls in; none may import a Node built-in. */
const browserFiles = ["browser.ts", "core.ts", "idx.ts", "gunzip-web.ts", "fashion-mnist.ts", "loader.ts", "shuffle.ts"];

test("the browser entry and the core import no Node built-ins", () => {
  for (const file of browserFiles) {
    const source = readFileSync(new URL(file, import.meta.url), "utf8");
    const imports = [...source.matchAll(/from\s+"([^"]+)"/g)].map((match) => match[1]!);
    const local = imports.filter((path) => path.startsWith("./"));
    for (const path of local) assert.ok(browserFiles.includes(path.slice(2)), `${file} imports ${path}, which is not in the browser set`);
    assert.deepEqual(
      imports.filter((path) => !path.startsWith("./") && path !== "@polychip/hal"),
      [],
      file,
    );
  }
});
