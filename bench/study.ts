/**
 * `deno task study`: the convergence benchmark. Trains one configuration for several seeds (each a
 * `deno task train` process, `--jobs` of them at once), finds for each seed the sequences, steps and wall
 * seconds until its held-out bit errors per sequence first fall below `--threshold`, optionally trains
 * `--extra-steps` more and evaluates generalisation at `--lengths`, and writes `study.json`, `study.md` (a
 * row per seed and the median and range) and `study.svg` (every seed's held-out curve) into `--out`.
 *
 * Flags after `--` go to `deno task train` as they are (everything but `--seed`, `--out`,
 * `--stop-at-bit-errors` and `--no-eval`, which the study sets). A seed whose directory already holds a
 * finished study result is not trained again, so an interrupted study continues where it stopped.
 *
 * ```sh
 * deno task study --name paper --seeds 1,2,3 --jobs 2 --out runs/study/paper -- \
 *   --preset paper --backend cpu --steps 30000 --report-every 500
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { choiceFlag, helpText, integerFlag, numberFlag, parseFlags, UsageError } from "../src/cli/args.ts";
import type { FlagSpec } from "../src/cli/args.ts";
import { readMetricsLog } from "../src/io/metrics_log.ts";
import { writeFileAtomic } from "../src/io/atomic_write.ts";
import {
  comparisonMarkdown,
  firstCrossing,
  type LengthResult,
  type SeedResult,
  studyMarkdown,
  type StudyResult,
  studySvg,
  summarise,
} from "./_study_report.ts";
import { cpuModel, runScript } from "./_children.ts";

/** The study's own flags (the training flags follow `--`). */
export const STUDY_FLAGS: Readonly<Record<string, FlagSpec>> = {
  "name": { type: "string", help: "a short name for the configuration, in the reports", default: "study" },
  "seeds": { type: "string", help: "comma-separated seeds, or a count S for seeds 1..S", default: "3" },
  "jobs": { type: "string", help: "seeds trained at once (parallel processes)", default: "1" },
  "threshold": { type: "string", help: "held-out bit errors per sequence to reach", default: "0.1" },
  "extra-steps": {
    type: "string",
    help: "after converging, train this many more steps before the generalisation test",
    default: "0",
  },
  "lengths": {
    type: "string",
    help: "comma-separated sequence lengths to test generalisation at, after the extra steps",
    defaultFrom: "none",
  },
  "episodes": { type: "string", help: "episodes per generalisation length", default: "64" },
  "out": {
    type: "string",
    help: "directory for every seed's run and the reports",
    defaultFrom: "runs/study/<name>",
  },
  "compare": {
    type: "string",
    help: "comma-separated study directories: print their results side by side and exit",
  },
  "help": { type: "boolean", help: "show this help" },
};

/** Flags the study sets itself for every seed's training run. */
const RESERVED = ["--seed", "--out", "--stop-at-bit-errors", "--no-eval", "--resume"];

/** File in a seed's directory that marks it finished, with its result. */
const SEED_RESULT_FILE = "study-seed.json";

/** The study's plan, from its flags. */
interface StudyPlan {
  readonly name: string;
  readonly seeds: readonly number[];
  readonly jobs: number;
  readonly threshold: number;
  readonly extraSteps: number;
  readonly lengths: readonly number[];
  readonly episodes: number;
  readonly out: string;
  readonly trainArgs: readonly string[];
  readonly backend: string | undefined;
}

function parseList(value: string, flag: string, min: number): number[] {
  return value.split(",").map((v) => integerFlag(v.trim(), flag, min));
}

/**
 * Parses the study's arguments: its own flags, then `--` and the training flags.
 *
 * @param args The command-line arguments.
 * @returns The plan, or `undefined` for `--help`.
 * @throws {UsageError} for a bad flag or value, or a reserved training flag.
 */
function planStudy(args: string[]): StudyPlan | undefined {
  const split = args.indexOf("--");
  const own = split < 0 ? args : args.slice(0, split);
  const trainArgs = split < 0 ? [] : args.slice(split + 1);
  const values = parseFlags(own, STUDY_FLAGS);
  if (values.help) return undefined;
  for (const arg of trainArgs) {
    const flag = arg.split("=")[0]!;
    if (RESERVED.includes(flag)) {
      throw new UsageError(`${flag} is set by the study for every seed; leave it out of the training flags`);
    }
  }
  const str = (name: string) => values[name] as string | undefined;
  const seedsText = str("seeds")!;
  const seeds = seedsText.includes(",")
    ? parseList(seedsText, "seeds", 0)
    : Array.from({ length: integerFlag(seedsText, "seeds", 1, 1000) }, (_, i) => i + 1);
  if (new Set(seeds).size !== seeds.length) throw new UsageError(`--seeds repeats a seed: ${seedsText}`);
  const name = str("name")!;
  const lengthsText = str("lengths");
  const backendAt = trainArgs.indexOf("--backend");
  const backend = backendAt >= 0 ? trainArgs[backendAt + 1] : undefined;
  if (backend !== undefined) choiceFlag(backend, "backend", ["auto", "wasm", "webgpu", "cpu"]);
  const jobs = integerFlag(str("jobs")!, "jobs", 1, 64);
  return {
    name,
    seeds,
    jobs,
    threshold: numberFlag(str("threshold")!, "threshold", 0, false),
    extraSteps: integerFlag(str("extra-steps")!, "extra-steps", 0),
    lengths: lengthsText === undefined || lengthsText === "none" ? [] : parseList(lengthsText, "lengths", 1),
    episodes: integerFlag(str("episodes")!, "episodes", 1, 100_000),
    out: str("out") ?? join("runs", "study", name),
    trainArgs: sharedCores(trainArgs, jobs),
    backend,
  };
}

/** Trains (or reuses) one seed and returns its result. */
async function studySeed(plan: StudyPlan, seed: number): Promise<SeedResult> {
  const dir = join(plan.out, `seed-${seed}`);
  try {
    return JSON.parse(await Deno.readTextFile(join(dir, SEED_RESULT_FILE))) as SeedResult;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await Deno.mkdir(dir, { recursive: true });
  const log = join(dir, "study.log");
  let resumable = false;
  try {
    await Deno.stat(join(dir, "config.json"));
    resumable = true;
  } catch { /* a fresh seed */ }
  const stop = ["--stop-at-bit-errors", String(plan.threshold), "--no-eval"];
  if (resumable) {
    await runScript("train.ts", ["--resume", dir, ...stop, ...passThrough(plan.trainArgs)], log);
  } else {
    await runScript("train.ts", [...plan.trainArgs, "--seed", String(seed), "--out", dir, ...stop], log);
  }
  const records = await readMetricsLog(join(dir, "metrics.jsonl"));
  const converged = firstCrossing(records, plan.threshold);
  const end = records.at(-1)!;
  let finalStep = end.step;
  let lengths: LengthResult[] = [];
  if (plan.extraSteps > 0 && converged) {
    finalStep = end.step + plan.extraSteps;
    await runScript(
      "train.ts",
      ["--resume", dir, "--steps", String(finalStep), "--stop-at-bit-errors", "never", "--no-eval"],
      log,
    );
  }
  if (plan.lengths.length) {
    const evalArgs = [
      "--checkpoint",
      dir,
      "--lengths",
      plan.lengths.join(","),
      "--episodes",
      String(plan.episodes),
    ];
    if (plan.backend !== undefined) evalArgs.push("--backend", plan.backend);
    await runScript("eval.ts", evalArgs, log);
    const table = JSON.parse(await Deno.readTextFile(join(dir, "eval.json"))) as {
      rows: { length: number; bit_errors: number; cost_bits: number }[];
    };
    lengths = table.rows.map((r) => ({ length: r.length, bitErrors: r.bit_errors, costBits: r.cost_bits }));
  }
  const all = await readMetricsLog(join(dir, "metrics.jsonl"));
  const result: SeedResult = {
    seed,
    dir,
    converged,
    last: { step: end.step, sequences: end.sequences, seconds: end.seconds, bitErrors: end.bit_errors },
    finalStep,
    lengths,
    curve: all.map((r) => [r.sequences, r.bit_errors] as const),
  };
  await writeFileAtomic(join(dir, SEED_RESULT_FILE), JSON.stringify(result) + "\n");
  return result;
}

/** The training flags a resumed seed may take again: the budget and reporting, not the shape. */
function passThrough(trainArgs: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < trainArgs.length; i++) {
    if (["--steps", "--report-every", "--backend", "--threads"].includes(trainArgs[i]!)) {
      out.push(trainArgs[i]!, trainArgs[i + 1]!);
    }
  }
  return out;
}

function quote(arg: string): string {
  return /^[\w./:,=+-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

/**
 * Runs `deno task study` with the given arguments.
 *
 * @param args The command-line arguments.
 * @returns The study, or `undefined` for `--help` and `--compare`.
 * @throws {UsageError} for a bad flag or value, or a `--compare` directory without a study.
 *
 * @example
 * ```ts ignore
 * const study = await studyCommand(["--seeds", "1,2", "--", "--backend", "cpu", "--steps", "500"]);
 * ```
 */
export async function studyCommand(args: string[]): Promise<StudyResult | undefined> {
  const compare =
    parseFlags(args.includes("--") ? args.slice(0, args.indexOf("--")) : args, STUDY_FLAGS).compare;
  if (typeof compare === "string") {
    const studies: StudyResult[] = [];
    for (const dir of compare.split(",")) {
      try {
        studies.push(JSON.parse(await Deno.readTextFile(join(dir.trim(), "study.json"))) as StudyResult);
      } catch (error) {
        throw new UsageError(`--compare ${dir}: cannot read its study.json (${(error as Error).message})`);
      }
    }
    console.log(comparisonMarkdown(studies));
    return undefined;
  }
  const plan = planStudy(args);
  if (!plan) {
    console.log(
      helpText("deno task study [flags] [-- training flags]", STUDY_FLAGS) +
        "\n\nTraining flags after -- go to `deno task train` for every seed (not --seed, --out, " +
        "--stop-at-bit-errors, --no-eval).",
    );
    return undefined;
  }
  await Deno.mkdir(plan.out, { recursive: true });
  const results = new Map<number, SeedResult>();
  const queue = [...plan.seeds];
  const worker = async () => {
    for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
      const r = await studySeed(plan, seed);
      results.set(seed, r);
      const c = r.converged;
      console.log(
        `${plan.name} seed ${seed}: ` +
          (c
            ? `< ${plan.threshold} after ${c.sequences} sequences (${c.step} steps, ${
              c.seconds.toFixed(1)
            } s)`
            : `not converged within ${r.last.sequences} sequences (last ${r.last.bitErrors.toFixed(3)})`) +
          (r.lengths.length
            ? `; ${r.lengths.map((l) => `length ${l.length}: ${l.bitErrors.toFixed(2)}`).join(", ")}`
            : ""),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(plan.jobs, plan.seeds.length) }, worker));
  const seeds = plan.seeds.map((s) => results.get(s)!);
  const command = ["deno", "task", "study", ...args].map(quote).join(" ");
  const study: StudyResult = {
    name: plan.name,
    trainArgs: plan.trainArgs,
    threshold: plan.threshold,
    jobs: plan.jobs,
    cpu: await cpuModel(),
    seeds,
    ...summarise(seeds),
    command,
  };
  await writeFileAtomic(join(plan.out, "study.json"), JSON.stringify(study, null, 2) + "\n");
  await writeFileAtomic(join(plan.out, "study.md"), studyMarkdown(study));
  await writeFileAtomic(join(plan.out, "study.svg"), studySvg(study));
  console.log(studyMarkdown(study));
  console.log(`Reports: ${join(plan.out, "study.json")}, study.md, study.svg`);
  return study;
}

if (import.meta.main) {
  try {
    await studyCommand(Deno.args);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`error: ${error.message}`);
      Deno.exit(2);
    }
    console.error(`error: ${(error as Error).message}`);
    Deno.exit(1);
  }
}

/**
 * The train arguments with the cores shared out: `--jobs J` runs at once share the machine's cores, so each
 * gets `--threads ⌊cores / J⌋` (at least 1) for the wasm backend, unless the arguments set `--threads`.
 *
 * @param trainArgs The arguments after `--`.
 * @param jobs J.
 * @returns The arguments each run gets.
 */
export function sharedCores(trainArgs: readonly string[], jobs: number): string[] {
  if (trainArgs.includes("--threads")) return [...trainArgs];
  const cores = navigator.hardwareConcurrency ?? 1;
  return [...trainArgs, "--threads", String(Math.max(1, Math.floor(cores / jobs)))];
}
