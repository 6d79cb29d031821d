/// <reference lib="dom" />
/**
 * The demo page's program panel: a program typed by the visitor, answered by a shipped program-task model
 * (`models/addition`) as `deno task execute` answers it (greedy decoding, and teacher-forced), with what
 * Python prints beside it and the episode figure of the model reading the program and writing its answer.
 *
 * @module
 */

import {
  checkpointBackend,
  encodeProgramEpisodes,
  episodeFigureSvg,
  type ExecutedProgram,
  executePrograms,
  forwardEpisode,
  type LoadedCheckpoint,
  type NtmConfig,
  typedPrograms,
} from "../browser.ts";
import type { Engine } from "./engine.ts";

/** The model's answer to a typed program, and the figure of its greedy episode. */
export interface ProgramAnswer {
  readonly row: ExecutedProgram;
  /** The episode figure (SVG markup): the program, then the model's own answer characters. */
  readonly figure: string;
}

/**
 * Answers a typed program with a shipped program-task model on the page's engine.
 *
 * @param checkpoint The loaded model (its `training.program` says what it can read).
 * @param text The program as typed (`\n` or newlines between lines).
 * @param engine The engine to run it on.
 * @returns The answers and the figure.
 * @throws {ProgramRefusedError} with `deno task execute`'s one-line refusal.
 */
export async function answerTypedProgram(
  checkpoint: LoadedCheckpoint,
  text: string,
  engine: Engine,
): Promise<ProgramAnswer> {
  const program = checkpoint.training.program;
  if (program === undefined || checkpoint.modelKind === "lstm") {
    throw new RangeError(`${checkpoint.dir} is not a program-task NTM`);
  }
  const typed = typedPrograms([text], program, checkpoint.dir);
  const backend = await checkpointBackend(checkpoint, engine.backend, () => {}, engine.options);
  let row: ExecutedProgram;
  try {
    [row] = (await executePrograms(backend, typed)) as [ExecutedProgram];
  } finally {
    backend.destroy();
  }
  // The greedy episode: each answer step reads the model's previous character (an empty answer: the true one).
  const answer = row.generated === "" ? row.answer : row.generated;
  const batch = encodeProgramEpisodes([{ program: row.program, answer }]);
  const config = checkpoint.config as NtmConfig;
  const forward = forwardEpisode(
    config,
    checkpoint.layout,
    checkpoint.params,
    batch,
    checkpoint.training.memorySeed,
  );
  const subject = {
    config,
    task: `${row.program.replaceAll("\n", "; ")} → ${answer}.`,
    lengthMeaning: "length",
    step: checkpoint.progress.step,
    sequences: checkpoint.progress.sequences,
  };
  return { row, figure: episodeFigureSvg(subject, batch.steps, batch, forward) };
}
