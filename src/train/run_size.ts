/**
 * The memory a run needs, estimated before anything is allocated, and the limit it must stay under: a
 * configuration, batch or length that would exhaust the machine is refused with a message naming the fields,
 * the estimate and the limit, instead of an allocation failure with a stack trace minutes into a run.
 *
 * The estimate counts what grows with the configuration: the parameters with their gradient and optimiser
 * slots, and the float64 reference's tape (memory matrices, weightings, head and controller values of every
 * step) for the episodes in flight. The WebGPU engine keeps comparable per-step state, so one bound serves
 * both backends.
 *
 * @module
 */

import type { NtmConfig } from "../model/config.ts";
import { MAX_PARAMETERS, readHeadWidth, writeHeadWidth } from "../model/config.ts";
import type { LstmConfig } from "../model/lstm_config.ts";

/** The most memory a run may need by the estimate: 8 GiB. */
export const MAX_RUN_BYTES = 8 * 2 ** 30;

/**
 * Bytes of tape one episode-step of the float64 reference keeps (an estimate from above).
 *
 * @param config The NTM's or the LSTM baseline's configuration.
 * @returns Bytes per episode per time step.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tapeBytesPerStep } from "./run_size.ts";
 * import { ntmConfig } from "../model/config.ts";
 * assert(tapeBytesPerStep(ntmConfig({ inputSize: 10, outputSize: 8 })) > 128 * 20 * 8);
 * ```
 */
export function tapeBytesPerStep(config: NtmConfig | LstmConfig): number {
  if ("units" in config) {
    return 8 * (config.layers * config.units * 12 + config.inputSize + config.outputSize);
  }
  const { memoryN: N, memoryM: M, readHeads: R, writeHeads: W } = config;
  const heads = R * readHeadWidth(config) + W * writeHeadWidth(config);
  const controller = config.controllerLayers * config.controllerSize * 12;
  return 8 *
    (3 * N * M + 10 * (R + W) * N + 2 * heads + controller + R * M + config.inputSize + config.outputSize);
}

/**
 * Checks an estimate against {@linkcode MAX_RUN_BYTES}.
 *
 * @param what What would be run, naming the fields that set its size (e.g. "--batch 64 × --max-len 20").
 * @param parameters P: the model's parameters.
 * @param tapeBytes The tape of the episodes in flight: episodes × T × {@linkcode tapeBytesPerStep}.
 * @throws {RangeError} naming `what`, the estimate and the limit, when the estimate exceeds it or P exceeds
 *   {@linkcode MAX_PARAMETERS}.
 *
 * @example
 * ```ts
 * import { checkRunSize } from "./run_size.ts";
 * checkRunSize("a small run", 60_000, 1e6);
 * ```
 */
export function checkRunSize(what: string, parameters: number, tapeBytes: number): void {
  if (parameters > MAX_PARAMETERS) {
    throw new RangeError(
      `${what}: the model has ${parameters} parameters, more than the limit of ${MAX_PARAMETERS}`,
    );
  }
  const bytes = parameters * 8 * 6 + tapeBytes; // params, gradient, up to 4 optimiser slots
  if (bytes > MAX_RUN_BYTES) {
    throw new RangeError(
      `${what}: it needs about ${formatBytes(bytes)} (parameters and optimiser ${
        formatBytes(parameters * 48)
      }, episode tape ${formatBytes(tapeBytes)}), more than the limit of ${formatBytes(MAX_RUN_BYTES)}`,
    );
  }
}

/** Bytes as GiB or MiB. */
function formatBytes(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
