/**
 * The shipped models under models/ reproduce the figures models/README.md states for them. Each model's
 * README row holds a `deno task eval` command and the figures it printed (`→ E bit errors, C bits per
 * sequence`); this test runs that evaluation (float64 CPU, fixed seed: deterministic) and allows ±0.0005
 * plus 0.01 % (the README's rounding to three decimals).
 */
import assert from "node:assert/strict";
import { evaluateCheckpoint } from "../src/cli/eval.ts";
import { loadCheckpoint } from "../src/io/checkpoint.ts";

const MODELS = ["copy", "repeat-copy", "associative-recall", "ngrams", "priority-sort"] as const;
const README = new URL("../models/README.md", import.meta.url);

interface StatedFigure {
  readonly model: string;
  readonly flags: ReadonlyMap<string, string>;
  readonly bitErrors: number;
  readonly costBits: number;
}

/** Every `deno task eval --checkpoint models/<name> … → E bit errors, C bits per sequence` in the README. */
function statedFigures(text: string): StatedFigure[] {
  const pattern =
    /`deno task eval --checkpoint models\/([a-z-]+)((?: --[a-z-]+ [^ `]+)*)` → ([\d.]+) bit errors, ([\d.]+) bits per sequence/g;
  return [...text.matchAll(pattern)].map((m) => {
    const flags = new Map<string, string>();
    const words = m[2]!.trim().split(/\s+/);
    for (let i = 0; i + 1 < words.length; i += 2) flags.set(words[i]!.replace(/^--/, ""), words[i + 1]!);
    return { model: m[1]!, flags, bitErrors: Number(m[3]), costBits: Number(m[4]) };
  });
}

const list = (value: string | undefined) => value?.split(",").map(Number);

const stated = statedFigures(await Deno.readTextFile(README));

Deno.test("models/README.md states an evaluation for each of the five shipped models", () => {
  assert.deepEqual([...new Set(stated.map((s) => s.model))].sort(), [...MODELS].sort());
});

for (const figure of stated) {
  Deno.test(`models/${figure.model} reproduces its README figure`, async () => {
    const checkpoint = await loadCheckpoint(new URL(`../models/${figure.model}`, import.meta.url).pathname);
    assert.equal(checkpoint.shipped, true, "a shipped model holds float32 weights without optimiser state");
    assert.equal(
      figure.flags.get("backend"),
      "cpu",
      "the README's command must pin the deterministic backend",
    );
    const result = await evaluateCheckpoint(checkpoint, {
      backend: "cpu",
      write: false,
      notice: () => {},
      ...(figure.flags.has("lengths") && { lengths: list(figure.flags.get("lengths"))! }),
      ...(figure.flags.has("episodes") && { episodes: Number(figure.flags.get("episodes")) }),
      ...(figure.flags.has("seed") && { seed: Number(figure.flags.get("seed")) }),
      ...(figure.flags.has("repeats") && { repeats: list(figure.flags.get("repeats"))! }),
    });
    assert.equal(result.rows.length, 1, "each README command evaluates one row");
    const row = result.rows[0]!;
    const close = (got: number, want: number) => Math.abs(got - want) <= 5e-4 + 1e-4 * Math.abs(want);
    assert.ok(
      close(row.bit_errors, figure.bitErrors),
      `bit errors ${row.bit_errors}, README ${figure.bitErrors}`,
    );
    assert.ok(close(row.cost_bits, figure.costBits), `cost ${row.cost_bits}, README ${figure.costBits}`);
  });
}
