/**
 * The metrics log of a training run, `metrics.jsonl`: one JSON object per report, one per line, appended as
 * training goes, read back for the learning curve.
 *
 * ```json
 * {"step":100,"sequences":1600,"seconds":12.5,"train_cost_bits":31.2,"grad_norm":4.1,"cost_bits":30.8,"bit_errors":9.6,"seq_per_s":128}
 * ```
 *
 * @module
 */

import { writeFileAtomic } from "./atomic_write.ts";

/** The name of the metrics log inside a run directory. */
export const METRICS_LOG_FILE = "metrics.jsonl";

/** A metrics log that is not one: the message names the file and the line. */
export class MetricsLogError extends Error {
  /**
   * Creates the error.
   *
   * @param message What is wrong, naming the file and line.
   */
  constructor(message: string) {
    super(message);
    this.name = "MetricsLogError";
  }
}

/** One line of the metrics log. */
export interface MetricsRecord {
  /** Training steps taken in all. */
  readonly step: number;
  /** Training sequences seen in all. */
  readonly sequences: number;
  /** Seconds of training in all (over every resumed run). */
  readonly seconds: number;
  /**
   * Mean cost of the training batches since the previous record (the CPU backends) or of the last batch
   * (webgpu), bits per sequence (`null` when not known).
   */
  readonly train_cost_bits: number | null;
  /** L2 norm of the last gradient before clipping (`null` when not known). */
  readonly grad_norm: number | null;
  /** Held-out cost, bits per sequence. */
  readonly cost_bits: number;
  /** Held-out bit errors per sequence. */
  readonly bit_errors: number;
  /** Training sequences per second in the run that logged this line. */
  readonly seq_per_s: number;
  /** Program task: held-out per-character accuracy at the target difficulty, in [0, 1]. */
  readonly char_accuracy?: number;
  /** Program task: held-out share of answers with every character right, in [0, 1]. */
  readonly answer_accuracy?: number;
  /** Program task: the curriculum's current stage, digits per number. */
  readonly stage_length?: number;
  /** Program task: the curriculum's current stage, nesting. */
  readonly stage_nesting?: number;
  /** Program task: per-character accuracy on a validation batch of the current stage, in [0, 1]. */
  readonly stage_char_accuracy?: number;
  /** With a learning-rate schedule: the rate from the next step on (`--lr-schedule`). */
  readonly lr?: number;
}

/** The optional fields of a {@linkcode MetricsRecord} (the program task's, the rate), kept when numeric. */
const OPTIONAL_FIELDS = [
  "char_accuracy",
  "answer_accuracy",
  "stage_length",
  "stage_nesting",
  "stage_char_accuracy",
  "lr",
] as const;

/**
 * Appends one record to a metrics log (creating the file), as one line of JSON. Non-finite numbers are
 * written as `null` (JSON has no NaN).
 *
 * @param path The log file.
 * @param record The record.
 * @returns A promise that resolves once the line is written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const path = `${await Deno.makeTempDir()}/metrics.jsonl`;
 * await appendMetricsRecord(path, { step: 100, sequences: 1600, seconds: 12.5,
 *   train_cost_bits: 31.2, grad_norm: 4.1, cost_bits: 30.8, bit_errors: 9.6, seq_per_s: 128 });
 * assert.equal((await readMetricsLog(path))[0]?.bit_errors, 9.6);
 * ```
 */
export async function appendMetricsRecord(path: string, record: MetricsRecord): Promise<void> {
  const line = JSON.stringify(record, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v));
  await Deno.writeTextFile(path, line + "\n", { append: true, create: true });
}

/**
 * Reads a metrics log. A last line cut short (a run killed mid-write) is skipped; any other line that is not
 * a JSON object with numeric `step`, `sequences`, `cost_bits` and `bit_errors` is an error.
 *
 * @param path The log file.
 * @returns The records, in file order.
 * @throws {Error} naming the file and line when a line is malformed, or when the file cannot be read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const records = await readMetricsLog(new URL("../../models/copy/metrics.jsonl", import.meta.url).pathname);
 * assert.ok(records.length > 0 && records.every((r, i) => i === 0 || r.step > records[i - 1]!.step));
 * ```
 */
export async function readMetricsLog(path: string): Promise<MetricsRecord[]> {
  const text = await Deno.readTextFile(path);
  return parseMetricsLog(text, path);
}

/**
 * Parses the text of a metrics log (see {@linkcode readMetricsLog}).
 *
 * @param text The file's content.
 * @param source The file's name, for errors.
 * @returns The records.
 * @throws {Error} naming the source and line when a line is malformed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMetricsLog } from "./metrics_log.ts";
 * const records = parseMetricsLog('{"step":1,"sequences":8,"cost_bits":3,"bit_errors":1}\n{"step":2,"seq');
 * assert(records.length === 1);
 * ```
 */
export function parseMetricsLog(text: string, source = "the metrics log"): MetricsRecord[] {
  const lines = text.split("\n");
  const records: MetricsRecord[] = [];
  const lastNonEmpty = lines.findLastIndex((l) => l.trim() !== "");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      if (i === lastNonEmpty && !text.endsWith("\n")) break; // a line cut short by a killed run
      throw new MetricsLogError(
        `Cannot read ${source}: line ${i + 1} is not valid JSON (${(error as Error).message})`,
      );
    }
    const record = value as Record<string, unknown>;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new MetricsLogError(
        `Cannot read ${source}: line ${i + 1} must be a JSON object, got ${line.slice(0, 60)}`,
      );
    }
    for (const key of ["step", "sequences", "cost_bits", "bit_errors"]) {
      if (typeof record[key] !== "number") {
        throw new MetricsLogError(
          `Cannot read ${source}: line ${i + 1} must have a number "${key}", got ${
            JSON.stringify(record[key])
          }`,
        );
      }
    }
    const num = (
      key: string,
    ): number | null => (typeof record[key] === "number" ? record[key] as number : null);
    records.push({
      step: record.step as number,
      sequences: record.sequences as number,
      seconds: num("seconds") ?? NaN,
      train_cost_bits: num("train_cost_bits"),
      grad_norm: num("grad_norm"),
      cost_bits: record.cost_bits as number,
      bit_errors: record.bit_errors as number,
      seq_per_s: num("seq_per_s") ?? NaN,
      ...Object.fromEntries(OPTIONAL_FIELDS.flatMap((key) => num(key) === null ? [] : [[key, num(key)]])),
    });
  }
  return records;
}

/**
 * Drops the records after `step` from a metrics log (rewriting it atomically), so that a run resumed from a
 * checkpoint at `step` does not log the same steps twice. A missing log is left missing.
 *
 * @param path The log file.
 * @param step The checkpoint's step.
 * @returns How many records remain.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const path = `${await Deno.makeTempDir()}/metrics.jsonl`;
 * const record = { sequences: 1, seconds: 1, train_cost_bits: 1, grad_norm: 1, cost_bits: 1, bit_errors: 1, seq_per_s: 1 };
 * for (const step of [100, 200, 300]) await appendMetricsRecord(path, { ...record, step });
 * await truncateMetricsLog(path, 200); // a resume from the step-200 checkpoint drops the later lines
 * assert.deepEqual((await readMetricsLog(path)).map((r) => r.step), [100, 200]);
 * ```
 */
export async function truncateMetricsLog(path: string, step: number): Promise<number> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return 0;
    throw error;
  }
  const records = parseMetricsLog(text, path);
  const kept = records.filter((r) => r.step <= step);
  if (kept.length !== records.length || !text.endsWith("\n") && text !== "") {
    const lines = text.split("\n").filter((l) => l.trim() !== "").slice(0, kept.length);
    await writeFileAtomic(path, lines.map((l) => l + "\n").join(""));
  }
  return kept.length;
}
