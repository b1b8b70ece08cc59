/**
 * A child process for the kill-during-save test: saves two checkpoints to one path in turn, forever,
 * through the CLI's atomic writer, until it is killed. Prints "ready" once the first save began.
 * usage: save-loop.ts <target> <checkpoint A> <checkpoint B>
 */
import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../files.ts";

const [target, a, b] = process.argv.slice(2);
const blobs = [await readFile(a!), await readFile(b!)].map((buf) => new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
process.stdout.write("ready\n");
for (let i = 0; ; i++) await writeFileAtomic(target!, blobs[i % 2]!, "checkpoint");
