/**
 * The shipped models under models/ reproduce the figures models/README.md states for them. Each model's
 * README row holds a `deno task eval` command and the figures it printed (`→ E bit errors, C bits per
 * sequence`, or for the program task `→ A per-character accuracy, W answer accuracy`); this test runs that
 * evaluation (float64 CPU, fixed seed: deterministic) and allows ±0.0005 plus 0.01 % (the README's rounding
 * to three decimals).
 */
import assert from "node:assert/strict";
import { evaluateCheckpoint } from "../src/train/evaluate.ts";
import { executeCommand } from "../src/cli/execute.ts";
import { loadCheckpoint } from "../src/io/checkpoint.ts";

const MODELS = ["copy", "repeat-copy", "associative-recall", "ngrams", "priority-sort", "addition"] as const;
const README = new URL("../models/README.md", import.meta.url);

/** The two figures a README row states, named as the evaluation row names them. */
type Figures = Readonly<
  Partial<Record<"bit_errors" | "cost_bits" | "character_accuracy" | "answer_accuracy", number>>
>;

interface StatedFigure {
  readonly model: string;
  readonly flags: ReadonlyMap<string, string>;
  readonly figures: Figures;
}

/**
 * Every `deno task eval --checkpoint models/<name> … → E bit errors, C bits per sequence` in the README, and
 * for the program task every `… → A per-character accuracy, W answer accuracy`.
 */
function statedFigures(text: string): StatedFigure[] {
  const command = /`deno task eval --checkpoint models\/([a-z-]+)((?: --[a-z-]+ [^ `]+)*)` → /.source;
  const bits = new RegExp(`${command}([\\d.]+) bit errors, ([\\d.]+) bits per sequence`, "g");
  const program = new RegExp(`${command}([\\d.]+) per-character accuracy, ([\\d.]+) answer accuracy`, "g");
  const flagsOf = (given: string) => {
    const flags = new Map<string, string>();
    const words = given.trim().split(/\s+/);
    for (let i = 0; i + 1 < words.length; i += 2) flags.set(words[i]!.replace(/^--/, ""), words[i + 1]!);
    return flags;
  };
  return [
    ...[...text.matchAll(bits)].map((m) => ({
      model: m[1]!,
      flags: flagsOf(m[2]!),
      figures: { bit_errors: Number(m[3]), cost_bits: Number(m[4]) },
    })),
    ...[...text.matchAll(program)].map((m) => ({
      model: m[1]!,
      flags: flagsOf(m[2]!),
      figures: { character_accuracy: Number(m[3]), answer_accuracy: Number(m[4]) },
    })),
  ];
}

const list = (value: string | undefined) => value?.split(",").map(Number);

const readme = await Deno.readTextFile(README);
const stated = statedFigures(readme);

Deno.test("models/README.md states an evaluation for each of the six shipped models", () => {
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
      notice: () => {},
      ...(figure.flags.has("lengths") && { lengths: list(figure.flags.get("lengths"))! }),
      ...(figure.flags.has("episodes") && { episodes: Number(figure.flags.get("episodes")) }),
      ...(figure.flags.has("seed") && { seed: Number(figure.flags.get("seed")) }),
      ...(figure.flags.has("repeats") && { repeats: list(figure.flags.get("repeats"))! }),
      ...(figure.flags.has("nestings") && { nestings: list(figure.flags.get("nestings"))! }),
    });
    assert.equal(result.rows.length, 1, "each README command evaluates one row");
    const row = result.rows[0]!;
    const close = (got: number, want: number) => Math.abs(got - want) <= 5e-4 + 1e-4 * Math.abs(want);
    for (const [name, want] of Object.entries(figure.figures)) {
      const got = row[name as keyof Figures];
      assert.ok(got !== undefined && close(got, want), `${name} ${got}, README ${want}`);
    }
  });
}

/** Every `deno task execute --checkpoint models/<name> --backend cpu "PROGRAM"` → answers `X` in the README. */
const statedAnswers = [
  ...readme.matchAll(
    /`deno task execute --checkpoint models\/([a-z-]+) --backend cpu "([^"`]+)"` → answers `([^`]*)`/g,
  ),
].map((m) => ({ model: m[1]!, program: m[2]!, generated: m[3]! }));

Deno.test("models/README.md states a greedy answer of the shipped addition model", () => {
  assert.ok(statedAnswers.some((s) => s.model === "addition"), "no execute line for models/addition");
});

for (const { model, program, generated } of statedAnswers) {
  Deno.test(`models/${model} answers ${program} as its README states`, async () => {
    const rows = await executeCommand(
      ["--checkpoint", new URL(`../models/${model}`, import.meta.url).pathname, "--backend", "cpu", program],
      () => {},
      () => {},
    );
    assert.equal(rows?.[0]?.generated, generated);
  });
}
