/**
 * Checking a checkpoint's files once their bytes are at hand: {@linkcode parseCheckpoint} validates
 * `config.json`, both safetensors files and their recorded digests, and returns the parameters and optimiser
 * state. Free of file-system access: `loadCheckpoint` (checkpoint_load.ts) feeds it files read from a
 * directory, and {@linkcode checkpointFromBuffers} feeds it bytes a web page fetched.
 *
 * @module
 */

import { type OptimizerName, type OptimizerState, restoreOptimizer } from "../optim/optimizer.ts";
import { checkDigest, CHECKPOINT_FILES, recordedDigests } from "./checkpoint_digest.ts";
import { checkFileMetadata, firstNonFinite, parseConfigJson } from "./checkpoint_schema.ts";
import {
  CheckpointError,
  checkpointLayout,
  type LoadedCheckpoint,
  type TrainingOptions,
} from "./checkpoint_types.ts";
import { type DecodedSafetensors, decodeSafetensors, type SafetensorsTensor } from "./safetensors.ts";
import type { ParameterLayout } from "../model/layout.ts";

/** Where {@linkcode parseCheckpoint} gets a checkpoint's files. */
export interface CheckpointSource {
  /** The checkpoint's directory (or a name for it), for messages and `LoadedCheckpoint.dir`. */
  readonly dir: string;
  /** The bytes of `config.json`. */
  readonly config: Uint8Array;
  /** The path of `config.json`, for messages. */
  readonly configPath: string;
  /** The path of another file of the checkpoint, for messages. */
  path(file: string): string;
  /**
   * The bytes of another file of the checkpoint (`model.safetensors` or `optimizer.safetensors`), or
   * `null` when it is missing; may refuse a file larger than `maxBytes`.
   */
  read(file: string, maxBytes: number): Promise<Uint8Array | null>;
}

/**
 * Validates a checkpoint's files and returns its parameters and optimiser state: `config.json` must be
 * JSON of this format and version with every field present and valid; both safetensors files must decode;
 * every tensor of the configuration's layout must be present with the right dtype (F64; F32 in a shipped
 * model), the right shape and finite values, and no other tensor; the optimiser's slots must match its
 * name and the parameter count; the files must be from the same step and have the SHA-256 `config.json`
 * records for them. A shipped model's optimizer file is not read.
 *
 * @param source The files.
 * @returns The checkpoint, with its layout.
 * @throws {CheckpointError} naming the file and what is wrong.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const dir = new URL("../../models/copy/", import.meta.url);
 * const read = async (file: string) => await Deno.readFile(new URL(file, dir));
 * const checkpoint = await parseCheckpoint({
 *   dir: "copy", config: await read("config.json"), configPath: "copy/config.json",
 *   path: (f) => `copy/${f}`, read: (f) => read(f).catch(() => null),
 * });
 * assert.equal(checkpoint.shipped, true);
 * assert.equal(checkpoint.params.length, checkpoint.layout.size);
 * ```
 */
export async function parseCheckpoint(source: CheckpointSource): Promise<LoadedCheckpoint> {
  const { dir, configPath } = source;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(source.config));
  } catch (error) {
    throw new CheckpointError(
      `Cannot read ${configPath}: it is not valid JSON (${(error as Error).message})`,
      { cause: error },
    );
  }
  const header = parseConfigJson(parsed, configPath);
  const layout = checkpointLayout(header.model);
  const digests = recordedDigests(source.config);
  if ((parsed as { files?: unknown }).files !== undefined && digests === null) {
    throw new CheckpointError(
      `Cannot read ${configPath}: files must map model.safetensors and optimizer.safetensors to their ` +
        `{ sha256, bytes }`,
    );
  }
  /** A file of the set, bounded by what the model can need. */
  const read = async (file: string, slots: number): Promise<Uint8Array> => {
    const bytes = await source.read(file, MAX_HEADER_BYTES + slots * layout.size * 8);
    if (!bytes) {
      throw new CheckpointError(
        `Cannot load the checkpoint in ${dir}: ${source.path(file)} is missing (a checkpoint holds ${
          Object.values(CHECKPOINT_FILES).join(", ")
        })`,
      );
    }
    return bytes;
  };
  const verify = async (bytes: Uint8Array, file: string) => {
    try {
      await checkDigest(bytes, digests?.get(file), source.path(file), configPath);
    } catch (error) {
      throw new CheckpointError((error as Error).message, { cause: error });
    }
  };

  const modelPath = source.path(CHECKPOINT_FILES.model);
  const modelBytes = await read(CHECKPOINT_FILES.model, 1);
  const model = decodeFile(modelBytes, modelPath);
  checkFileMetadata(model.metadata, modelPath, header.progress.step, configPath);
  const params = modelParameters(model.tensors, layout, header.shipped, modelPath, configPath);
  const common = {
    dir,
    layout,
    params,
    shipped: header.shipped,
    ...header.model,
    training: header.training,
    progress: header.progress,
    packageVersion: header.packageVersion,
    savedAt: header.savedAt,
  };
  await verify(modelBytes, CHECKPOINT_FILES.model);
  if (header.shipped) return { ...common, optimizer: null };

  const optimizerPath = source.path(CHECKPOINT_FILES.optimizer);
  const optimizerBytes = await read(CHECKPOINT_FILES.optimizer, MAX_OPTIMIZER_SLOTS);
  const saved = decodeFile(optimizerBytes, optimizerPath);
  checkFileMetadata(saved.metadata, optimizerPath, header.progress.step, configPath);
  const optimizerState = savedOptimizerState(
    saved,
    header.training.optimizer,
    layout.size,
    optimizerPath,
    configPath,
  );
  await verify(optimizerBytes, CHECKPOINT_FILES.optimizer);
  return { ...common, optimizer: optimizerState };
}

/** `model.safetensors`' tensors as the flat parameters of the layout, every tensor checked. */
function modelParameters(
  tensors: ReadonlyMap<string, SafetensorsTensor>,
  layout: ParameterLayout,
  shipped: boolean,
  modelPath: string,
  configPath: string,
): Float64Array {
  const params = new Float64Array(layout.size);
  for (const entry of layout.entries) {
    const tensor = tensors.get(entry.name);
    if (!tensor) {
      throw new CheckpointError(
        `Cannot read ${modelPath}: tensor "${entry.name}" of shape ${
          JSON.stringify(entry.shape)
        } is missing ` +
          `(the model in ${configPath} needs it)`,
      );
    }
    const dtype = shipped ? "F32" : "F64";
    if (tensor.dtype !== dtype) {
      throw new CheckpointError(
        `Cannot read ${modelPath}: tensor "${entry.name}" must be ${dtype}${
          shipped ? " (config.json marks a shipped float32 model)" : ""
        }, got ${tensor.dtype}`,
      );
    }
    if (!sameShape(tensor.shape, entry.shape)) {
      throw new CheckpointError(
        `Cannot read ${modelPath}: tensor "${entry.name}" has shape ${
          JSON.stringify(tensor.shape)
        }, but the ` +
          `model in ${configPath} needs ${
            JSON.stringify(entry.shape)
          } (is this checkpoint from another model?)`,
      );
    }
    const bad = firstNonFinite(tensor.data, 0, tensor.data.length);
    if (bad !== undefined) {
      throw new CheckpointError(
        `Cannot read ${modelPath}: tensor "${entry.name}" holds a non-finite value at ${bad}: ${
          tensor.data[bad]
        }`,
      );
    }
    params.set(tensor.data, entry.offset);
  }
  for (const name of tensors.keys()) {
    if (!layout.entries.some((e) => e.name === name)) {
      throw new CheckpointError(
        `Cannot read ${modelPath}: unexpected tensor "${name}", which the model in ${configPath} does not have`,
      );
    }
  }

  return params;
}

/** `optimizer.safetensors`' slots as the optimiser state `config.json` names, checked as a resume uses it. */
function savedOptimizerState(
  saved: DecodedSafetensors,
  optimizer: TrainingOptions["optimizer"],
  size: number,
  optimizerPath: string,
  configPath: string,
): OptimizerState {
  const name = saved.metadata.optimizer;
  if (name !== optimizer.name) {
    throw new CheckpointError(
      `Cannot read ${optimizerPath}: it holds the state of optimiser ${
        JSON.stringify(name)
      }, but ${configPath} ` +
        `names ${JSON.stringify(optimizer.name)}`,
    );
  }
  const optimizerStep = Number(saved.metadata.optimizer_step);
  if (!Number.isSafeInteger(optimizerStep) || optimizerStep < 0) {
    throw new CheckpointError(
      `Cannot read ${optimizerPath}: metadata optimizer_step must be an integer ≥ 0, got ${
        JSON.stringify(saved.metadata.optimizer_step)
      }`,
    );
  }
  const slots: Record<string, Float64Array> = {};
  for (const [slot, tensor] of saved.tensors) {
    if (tensor.dtype !== "F64" || !sameShape(tensor.shape, [size])) {
      throw new CheckpointError(
        `Cannot read ${optimizerPath}: slot "${slot}" must be F64 of shape [${size}] (the parameter ` +
          `count), got ${tensor.dtype} ${JSON.stringify(tensor.shape)}`,
      );
    }
    slots[slot] = tensor.data as Float64Array;
  }
  const optimizerState: OptimizerState = { name: name as OptimizerName, step: optimizerStep, slots };
  try {
    // Validates slot names, lengths and values exactly as a resume will use them.
    restoreOptimizer(optimizerState, optimizer.options, size);
  } catch (error) {
    throw new CheckpointError(`Cannot read ${optimizerPath}: ${(error as Error).message}`, { cause: error });
  }

  return optimizerState;
}

/** A checkpoint's files as fetched: `config.json`, `model.safetensors` and (unless shipped) the optimiser's. */
export interface CheckpointBuffers {
  /** `config.json`. */
  readonly config: ArrayBuffer | Uint8Array;
  /** `model.safetensors`. */
  readonly model: ArrayBuffer | Uint8Array;
  /** `optimizer.safetensors` (absent for a shipped model). */
  readonly optimizer?: ArrayBuffer | Uint8Array;
}

/**
 * Checks and reads a checkpoint from its files' bytes, e.g. a shipped model a web page fetched: the same
 * checks as loading it from a directory ({@linkcode parseCheckpoint}).
 *
 * @param files The files' bytes.
 * @param name A name for the checkpoint in messages and `LoadedCheckpoint.dir` (e.g. `models/copy`).
 * @returns The checkpoint, with its layout.
 * @throws {CheckpointError} naming the file and what is wrong.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const get = async (f: string) => await (await fetch(new URL(`../../models/copy/${f}`, import.meta.url))).arrayBuffer();
 * const copy = await checkpointFromBuffers(
 *   { config: await get("config.json"), model: await get("model.safetensors") },
 *   "models/copy",
 * );
 * assert.equal(copy.training.task, "copy");
 * ```
 */
export function checkpointFromBuffers(files: CheckpointBuffers, name: string): Promise<LoadedCheckpoint> {
  const bytes = (b: ArrayBuffer | Uint8Array | undefined) =>
    b === undefined ? null : b instanceof Uint8Array ? b : new Uint8Array(b);
  const byName = new Map<string, Uint8Array | null>([
    [CHECKPOINT_FILES.model, bytes(files.model)],
    [CHECKPOINT_FILES.optimizer, bytes(files.optimizer)],
  ]);
  const path = (file: string) => `${name}/${file}`;
  return parseCheckpoint({
    dir: name,
    config: bytes(files.config)!,
    configPath: path(CHECKPOINT_FILES.config),
    path,
    read: (file, maxBytes) => {
      const found = byName.get(file) ?? null;
      if (found && found.length > maxBytes) {
        return Promise.reject(
          new CheckpointError(
            `Cannot read ${path(file)}: it has ${found.length} bytes, more than the ` +
              `${maxBytes} the model in ${path(CHECKPOINT_FILES.config)} can need`,
          ),
        );
      }
      return Promise.resolve(found);
    },
  });
}

/** The largest safetensors header a checkpoint file may have (names, shapes and metadata: a few KiB). */
const MAX_HEADER_BYTES = 1 << 20;

/** The most optimiser slots of P values any optimiser keeps (RMSProp: n, gbar, delta). */
const MAX_OPTIMIZER_SLOTS = 4;

/** Decodes a safetensors file, its errors as {@linkcode CheckpointError}s. */
function decodeFile(bytes: Uint8Array, path: string): DecodedSafetensors {
  try {
    return decodeSafetensors(bytes, path);
  } catch (error) {
    throw new CheckpointError((error as Error).message, { cause: error });
  }
}

/** Whether two shapes are the same. */
function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
