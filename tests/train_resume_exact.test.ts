import assert from "node:assert/strict";
import { join } from "node:path";
import { loadCheckpoint } from "../src/io/checkpoint.ts";
import { trainCommand, type TrainIo } from "../src/cli/train.ts";

const quiet: TrainIo = { write: () => {}, error: () => {}, live: false };
const TINY = [
  ...["--backend", "cpu", "--controller", "8", "--memory-n", "8", "--memory-m", "4", "--batch", "2"],
  ...["--eval-episodes", "4", "--no-eval", "--max-len", "3", "--memory-init", "random"],
];

Deno.test("with random memory, a run resumed between reports trains exactly as one that was not", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ntm-resume-exact-" });
  try {
    const whole = join(dir, "whole"), parts = join(dir, "parts");
    await trainCommand([...TINY, "--steps", "20", "--report-every", "10", "--out", whole], quiet);
    await trainCommand([...TINY, "--steps", "7", "--report-every", "7", "--out", parts], quiet);
    await trainCommand(["--resume", parts, "--steps", "20", "--report-every", "13"], quiet);
    const [a, b] = [await loadCheckpoint(whole), await loadCheckpoint(parts)];
    assert.equal(b.progress.step, 20);
    assert.deepEqual(b.params, a.params);
    assert.deepEqual(b.progress.memoryRng, a.progress.memoryRng);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
