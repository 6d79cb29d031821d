/**
 * Training progress on the console: on a terminal, one live line redrawn in place (step, sequences, train
 * cost, held-out cost and bit errors, for softmax tasks the held-out per-character and whole-answer
 * accuracy and the curriculum's stage, sequences per second, ETA); elsewhere (a pipe, a log file), one
 * plain line per report.
 *
 * @module
 */

import type { TrainingReport } from "../train/loop.ts";

/** What a progress line shows. */
export interface ProgressState {
  /** Steps taken in all. */
  readonly step: number;
  /** The step target. */
  readonly totalSteps: number;
  /** Training sequences seen in all. */
  readonly sequences: number;
  /** Training sequences per second in this run (NaN before the first measurement). */
  readonly sequencesPerSecond: number;
  /** Estimated seconds to the step target (NaN when unknown). */
  readonly etaSeconds: number;
  /** The last report, if any. */
  readonly report?: TrainingReport;
}

/**
 * Formats seconds as a short duration: `45s`, `3m05s`, `2h07m`.
 *
 * @param seconds The duration.
 * @returns The text (`?` when not finite).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatDuration } from "./progress.ts";
 * assert(formatDuration(185) === "3m05s");
 * ```
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/**
 * Formats one progress line.
 *
 * @param state What to show.
 * @returns The line, without a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatProgress } from "./progress.ts";
 * const line = formatProgress({ step: 10, totalSteps: 100, sequences: 160, sequencesPerSecond: 80, etaSeconds: 18 });
 * assert(line.startsWith("step 10/100"));
 * ```
 */
export function formatProgress(state: ProgressState): string {
  const parts = [
    `step ${state.step}/${state.totalSteps}`,
    `${state.sequences} seq`,
  ];
  const r = state.report;
  if (r) {
    if (Number.isFinite(r.trainCostBits)) parts.push(`train ${r.trainCostBits.toFixed(3)} bits`);
    parts.push(`held-out ${r.costBits.toFixed(3)} bits, ${r.bitErrors.toFixed(3)} bit errors/seq`);
    if (r.characterAccuracy !== undefined) {
      parts.push(
        `char acc ${(100 * r.characterAccuracy).toFixed(1)}%, answers ${
          (100 * (r.answerAccuracy ?? 0)).toFixed(1)
        }%`,
      );
    }
    if (r.source) parts.push(r.source.summary);
  }
  if (Number.isFinite(state.sequencesPerSecond)) parts.push(`${state.sequencesPerSecond.toFixed(1)} seq/s`);
  if (state.step < state.totalSteps) parts.push(`ETA ${formatDuration(state.etaSeconds)}`);
  return parts.join("  ");
}

/** Where and how {@linkcode ProgressDisplay} writes. */
export interface ProgressOptions {
  /** The step target. */
  readonly totalSteps: number;
  /** Steps taken before this run (after a resume). */
  readonly startStep: number;
  /** B: sequences per step. */
  readonly batch: number;
  /** Redraw one live line (a terminal) rather than print a line per report. */
  readonly live: boolean;
  /** Writes text as is (no newline added). */
  readonly write: (text: string) => void;
  /** The terminal's width in columns, to keep the live line on one row (default 120). */
  readonly columns?: number;
  /** Milliseconds between live redraws (default 200). */
  readonly redrawMs?: number;
  /** The clock in milliseconds (default `performance.now`). */
  readonly now?: () => number;
}

/**
 * Shows training progress: call {@linkcode ProgressDisplay.step} after every training step and
 * {@linkcode ProgressDisplay.report} at every report; {@linkcode ProgressDisplay.message} prints a line
 * without breaking the live line; {@linkcode ProgressDisplay.finish} ends it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProgressDisplay } from "./progress.ts";
 * let out = "";
 * const progress = new ProgressDisplay({ totalSteps: 2, startStep: 0, batch: 4, live: false, write: (t) => out += t });
 * progress.step(1);
 * progress.report({ step: 2, sequences: 8, seconds: 1, sequencesPerSecond: 8, trainCostBits: 5, gradNorm: 1, costBits: 4, bitErrors: 2 });
 * progress.finish();
 * assert(out.startsWith("step 2/2"));
 * ```
 */
export class ProgressDisplay {
  readonly #options: ProgressOptions;
  readonly #now: () => number;
  readonly #started: number;
  #lastDraw = -Infinity;
  #drawn = false;
  #report: TrainingReport | undefined;

  /**
   * Creates the display.
   *
   * @param options Where and how to write.
   */
  constructor(options: ProgressOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
    this.#started = this.#now();
  }

  /**
   * Notes that a training step finished; on a terminal, redraws the live line (at most every `redrawMs`).
   *
   * @param step Steps taken in all.
   */
  step(step: number): void {
    if (!this.#options.live) return;
    const now = this.#now();
    if (now - this.#lastDraw < (this.#options.redrawMs ?? 200)) return;
    this.#draw(this.#state(step, now));
  }

  /**
   * Shows a report: on a terminal, redraws the live line; elsewhere, prints a line.
   *
   * @param report The report.
   */
  report(report: TrainingReport): void {
    this.#report = report;
    const state = this.#state(report.step, this.#now(), report.sequencesPerSecond);
    if (this.#options.live) this.#draw(state);
    else this.#options.write(formatProgress(state) + "\n");
  }

  /**
   * Prints a line of its own above the live line (or simply, when not on a terminal).
   *
   * @param line The text, without a newline.
   */
  message(line: string): void {
    if (this.#options.live && this.#drawn) {
      this.#options.write(`\r\x1b[2K${line}\n`);
      this.#lastDraw = -Infinity;
      if (this.#report) {
        this.#draw(this.#state(this.#report.step, this.#now(), this.#report.sequencesPerSecond));
      }
    } else {
      this.#options.write(line + "\n");
    }
  }

  /** Ends the live line (moves to a new line), so that what follows is printed below it. */
  finish(): void {
    if (this.#options.live && this.#drawn) this.#options.write("\n");
    this.#drawn = false;
  }

  #state(step: number, now: number, rate?: number): ProgressState {
    const { startStep, totalSteps, batch } = this.#options;
    const elapsed = (now - this.#started) / 1000;
    const done = step - startStep;
    const perStep = done > 0 ? elapsed / done : NaN;
    return {
      step,
      totalSteps,
      sequences: step * batch,
      sequencesPerSecond: rate ?? (done > 0 && elapsed > 0 ? (done * batch) / elapsed : NaN),
      etaSeconds: perStep * (totalSteps - step),
      ...(this.#report !== undefined && { report: this.#report }),
    };
  }

  #draw(state: ProgressState): void {
    const given = this.#options.columns;
    const columns = given !== undefined && given >= 20 ? given : 120; // 0: a terminal that reports no width
    let line = formatProgress(state);
    if (line.length > columns - 1) line = line.slice(0, columns - 2) + "…";
    this.#options.write(`\r\x1b[2K${line}`);
    this.#drawn = true;
    this.#lastDraw = this.#now();
  }
}
