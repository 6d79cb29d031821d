/**
 * `deno task program-table`: Learning to Execute's table (Zaremba & Sutskever 2014, Table 1) at this
 * machine's budget. Trains the program task once per curriculum (baseline, naive, mix, combined) and model
 * (the NTM, and the plain LSTM baseline of about its parameter count) to one target difficulty, evaluates
 * each on held-out programs at every length × nesting, and writes `table.md` and `table.json` into `--out`:
 * per-character accuracy with teacher forcing (the paper's measure), whole-answer accuracy, and each run's
 * steps and wall seconds.
 *
 * Flags after `--` go to every `deno task train` run. A run whose directory already holds its evaluation
 * at the requested steps is not trained again; one that stopped part-way is resumed.
 *
 * ```sh
 * deno task program-table --target-length 4 --target-nesting 2 --steps 4000 --out runs/program-table
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { writeFileAtomic } from "../src/io/atomic_write.ts";
import { loadCheckpoint } from "../src/io/checkpoint.ts";
import { readMetricsLog } from "../src/io/metrics_log.ts";
import { type FlagSpec, helpText, integerFlag, parseFlags, UsageError } from "../src/cli/args.ts";
import type { EvalResult } from "../src/train/evaluate.ts";
import { CURRICULUM_NAMES, type CurriculumName } from "../tasks/curriculum.ts";
import { MAX_PROGRAM_DIGITS, MAX_PROGRAM_LENGTH, MAX_PROGRAM_NESTING } from "../tasks/program.ts";
import { cpuModel, runScript } from "./_children.ts";

/** The table's flags (the training flags follow `--`). */
export const PROGRAM_TABLE_FLAGS: Readonly<Record<string, FlagSpec>> = {
  "target-length": { type: "string", help: "digits per number to train towards, 1..9", default: "4" },
  "target-nesting": { type: "string", help: "nesting to train towards, 1..3", default: "2" },
  "steps": { type: "string", help: "training steps of every run", default: "4000" },
  "models": { type: "string", help: "comma-separated: ntm, lstm", default: "ntm,lstm" },
  "curricula": { type: "string", help: "comma-separated curricula", default: CURRICULUM_NAMES.join(",") },
  "lengths": {
    type: "string",
    help: "comma-separated digits per number to evaluate at",
    defaultFrom: "1..target length + 2",
  },
  "episodes": { type: "string", help: "held-out programs per cell", default: "256" },
  "out": { type: "string", help: "directory for the runs and the table", default: "runs/program-table" },
  "help": { type: "boolean", help: "show this help" },
};

/** One trained run of the table: its model, curriculum, cost and evaluation. */
export interface TableRun {
  /** `ntm` or `lstm`. */
  readonly model: string;
  /** The curriculum. */
  readonly curriculum: CurriculumName;
  /** Training steps and sequences. */
  readonly steps: number;
  /** Training sequences. */
  readonly sequences: number;
  /** Wall seconds of training (from the run's metrics log). */
  readonly seconds: number;
  /** Parameters of the model. */
  readonly parameters: number;
  /** The evaluation: one row per nesting and length. */
  readonly evaluation: EvalResult;
}

/** The table, as `table.json` holds it. */
export interface ProgramTable {
  /** The target difficulty every run trained towards. */
  readonly target: { readonly length: number; readonly nesting: number };
  /** The machine (`lscpu`). */
  readonly cpu: string;
  /** Held-out programs per cell. */
  readonly episodes: number;
  /** The flags every training run got. */
  readonly trainArgs: readonly string[];
  /** One entry per model and curriculum. */
  readonly runs: readonly TableRun[];
}

function list(value: string, flag: string, allowed: readonly string[]): string[] {
  const items = value.split(",").map((v) => v.trim());
  for (const item of items) {
    if (!allowed.includes(item)) {
      throw new UsageError(
        `--${flag} must list entries of ${allowed.join(", ")}, got ${JSON.stringify(item)}`,
      );
    }
  }
  return items;
}

/**
 * Formats the table as Markdown: one row per nesting and length, a column per run (per-character accuracy,
 * then whole answers in brackets), and a last row with each run's steps and wall minutes.
 *
 * @param table The table.
 * @returns The Markdown text.
 *
 * @example
 * ```ts ignore
 * console.log(programTableMarkdown(JSON.parse(await Deno.readTextFile("runs/program-table/table.json"))));
 * ```
 */
export function programTableMarkdown(table: ProgramTable): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const head = table.runs.map((r) => `${r.curriculum} ${r.model === "ntm" ? "NTM" : "LSTM"}`);
  const lines = [
    `Per-character accuracy (teacher forcing), whole answers in brackets; ${table.episodes} held-out programs ` +
    `per cell; trained towards length ${table.target.length}, nesting ${table.target.nesting}; ${table.cpu}.`,
    "",
    `| length | nesting | ${head.join(" | ")} | frequency baseline |`,
    `| ---: | ---: | ${head.map(() => "---").join(" | ")} | --- |`,
  ];
  const first = table.runs[0]!.evaluation.rows;
  first.forEach((row, i) => {
    const cells = table.runs.map((r) => {
      const cell = r.evaluation.rows[i]!;
      return `${pct(cell.character_accuracy!)} (${pct(cell.answer_accuracy!)})`;
    });
    const mark = row.length === table.target.length && row.nesting === table.target.nesting ? "**" : "";
    lines.push(
      `| ${mark}${row.length}${mark} | ${mark}${row.nesting}${mark} | ${cells.join(" | ")} | ${
        pct(row.frequency_baseline!)
      } |`,
    );
  });
  lines.push(
    `| steps | | ${table.runs.map((r) => `${r.steps} (${(r.seconds / 60).toFixed(1)} min)`).join(" | ")} | |`,
  );
  lines.push(`| parameters | | ${table.runs.map((r) => String(r.parameters)).join(" | ")} | |`);
  return lines.join("\n");
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `deno task program-table`.
 *
 * @param args The command-line arguments.
 * @returns The table, or `undefined` for `--help`.
 * @throws {UsageError} for a bad flag.
 */
export async function programTableCommand(args: string[]): Promise<ProgramTable | undefined> {
  const split = args.indexOf("--");
  const values = parseFlags(split < 0 ? args : args.slice(0, split), PROGRAM_TABLE_FLAGS);
  const trainArgs = split < 0 ? [] : args.slice(split + 1);
  if (values.help) {
    console.log(helpText("deno task program-table [flags] [-- training flags]", PROGRAM_TABLE_FLAGS));
    return undefined;
  }
  const str = (name: string) => values[name] as string | undefined;
  const length = integerFlag(str("target-length")!, "target-length", 1, MAX_PROGRAM_LENGTH);
  const nesting = integerFlag(str("target-nesting")!, "target-nesting", 1, MAX_PROGRAM_NESTING);
  const steps = integerFlag(str("steps")!, "steps", 1);
  const models = list(str("models")!, "models", ["ntm", "lstm"]);
  const curricula = list(str("curricula")!, "curricula", CURRICULUM_NAMES);
  const lengths = str("lengths") === undefined
    ? Array.from({ length: Math.min(MAX_PROGRAM_DIGITS, length + 2) }, (_, i) => i + 1)
    : str("lengths")!.split(",").map((v) => integerFlag(v.trim(), "lengths", 1, MAX_PROGRAM_DIGITS));
  const episodes = integerFlag(str("episodes")!, "episodes", 1, 65_536);
  const out = str("out")!;
  await Deno.mkdir(out, { recursive: true });
  const nestings = Array.from({ length: MAX_PROGRAM_NESTING }, (_, i) => i + 1).join(",");

  const runs: TableRun[] = [];
  for (const model of models) {
    for (const curriculum of curricula as CurriculumName[]) {
      const dir = join(out, `${curriculum}-${model}`);
      const log = join(out, `${curriculum}-${model}.log`);
      const evalFile = join(dir, "eval.json");
      let evaluation: EvalResult | undefined;
      if (await exists(evalFile)) {
        const saved = JSON.parse(await Deno.readTextFile(evalFile)) as EvalResult;
        if (saved.step === steps && saved.episodes === episodes) evaluation = saved;
      }
      if (evaluation === undefined) {
        const base = ["--steps", String(steps), "--no-eval"];
        if (await exists(join(dir, "config.json"))) {
          const saved = await loadCheckpoint(dir);
          if (saved.progress.step < steps) await runScript("train.ts", ["--resume", dir, ...base], log);
        } else {
          await runScript("train.ts", [
            "--task",
            "program",
            "--model",
            model,
            "--curriculum",
            curriculum,
            "--target-length",
            String(length),
            "--target-nesting",
            String(nesting),
            ...base,
            ...trainArgs,
            "--out",
            dir,
          ], log);
        }
        await runScript("eval.ts", [
          "--checkpoint",
          dir,
          "--lengths",
          lengths.join(","),
          "--nestings",
          nestings,
          "--episodes",
          String(episodes),
        ], log);
        evaluation = JSON.parse(await Deno.readTextFile(evalFile)) as EvalResult;
      }
      const records = await readMetricsLog(join(dir, "metrics.jsonl"));
      const last = records.at(-1)!;
      const checkpoint = await loadCheckpoint(dir);
      runs.push({
        model,
        curriculum,
        steps: last.step,
        sequences: last.sequences,
        seconds: last.seconds,
        parameters: checkpoint.layout.size,
        evaluation,
      });
      console.log(`${curriculum} ${model}: done (${last.step} steps, ${(last.seconds / 60).toFixed(1)} min)`);
    }
  }
  const table: ProgramTable = {
    target: { length, nesting },
    cpu: await cpuModel(),
    episodes,
    trainArgs,
    runs,
  };
  await writeFileAtomic(join(out, "table.json"), JSON.stringify(table, null, 2) + "\n");
  const markdown = programTableMarkdown(table);
  await writeFileAtomic(join(out, "table.md"), markdown + "\n");
  console.log(markdown);
  return table;
}

if (import.meta.main) {
  try {
    await programTableCommand(Deno.args);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`error: ${error.message}`);
      Deno.exit(2);
    }
    throw error;
  }
}
