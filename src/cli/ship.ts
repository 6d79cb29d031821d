/**
 * `deno task ship`: turns a training checkpoint into a shipped model, the small directory the repository's
 * `models/<task>/` holds: `config.json`, float32 weights in `model.safetensors` and the run's `metrics.jsonl`,
 * without the optimiser state (an eighth of the checkpoint's size). `deno task eval` and `deno task viz` read it like a checkpoint;
 * `--resume` refuses it.
 *
 * ```sh
 * deno task ship --checkpoint runs/copy-1 --out models/copy
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { writeFileAtomic } from "../io/atomic_write.ts";
import { CheckpointError, loadCheckpoint, shipModel } from "../io/checkpoint.ts";
import { METRICS_LOG_FILE } from "../io/metrics_log.ts";
import { type FlagSpec, requiredFlag, UsageError } from "./args.ts";
import { type CheckpointCommand, checkpointCommand } from "./common_flags.ts";
import { runCommand } from "./run_command.ts";

/** The flags of `deno task ship`. */
export const SHIP_FLAGS: Readonly<Record<string, FlagSpec>> = {
  "out": {
    type: "string",
    help: "the directory to write the shipped model into (required), e.g. models/copy",
  },
};

/**
 * Runs `deno task ship` with the given arguments.
 *
 * @param args The command-line arguments.
 * @param write Writes text to standard output.
 * @returns The directory written, or `undefined` for `--help`.
 * @throws {UsageError} for a missing or unknown flag, or `--out` equal to `--checkpoint`.
 * @throws {CheckpointError} when the checkpoint cannot be loaded or the model cannot be written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainCommand } from "./train.ts";
 * const dir = await Deno.makeTempDir();
 * const io = { write: () => {}, error: () => {}, live: false };
 * const tiny = ["--controller", "8", "--memory-n", "8", "--memory-m", "4", "--steps", "2", "--no-eval"];
 * await trainCommand(["--backend", "cpu", ...tiny, "--out", `${dir}/run`], io);
 * const shipped = await shipCommand(["--checkpoint", `${dir}/run`, "--out", `${dir}/model`], () => {});
 * assert.equal(shipped, `${dir}/model`);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export const shipCommand: CheckpointCommand<string> = checkpointCommand(
  "deno task ship --checkpoint DIR --out DIR",
  SHIP_FLAGS,
  async ({ line, dir, write }) => {
    const out = requiredFlag(line, "out", "DIR");
    const checkpoint = await loadCheckpoint(dir);
    if (checkpoint.shipped) {
      throw new UsageError(
        `--checkpoint ${dir} is a shipped model already; ship the training checkpoint instead`,
      );
    }
    if ((await Deno.realPath(dir)) === (await Deno.realPath(out).catch(() => null))) {
      throw new UsageError(`--out ${out} is the checkpoint's own directory; name another directory`);
    }
    await shipModel(out, checkpoint);
    // The training log, so that `deno task viz` draws the shipped model's learning curve.
    const log = join(dir, METRICS_LOG_FILE);
    const hasLog = await Deno.stat(log).then((i) => i.isFile, () => false);
    if (hasLog) await writeFileAtomic(join(out, METRICS_LOG_FILE), await Deno.readFile(log));
    const bytes = (await Deno.stat(join(out, "model.safetensors"))).size;
    write(
      `Shipped ${dir} (${checkpoint.training.task}, step ${checkpoint.progress.step}, ` +
        `${checkpoint.params.length} parameters) to ${out}: ${
          (bytes / 1024).toFixed(0)
        } KiB of float32 weights\n`,
    );
    return out;
  },
  { checkpointHelp: "the training checkpoint directory" },
);

if (import.meta.main) await runCommand(shipCommand, [CheckpointError]);
