/**
 * Links a kernel's WGSL source: each line `//! include _name.wgsl` is replaced by that shared helper file
 * of `shaders/`, so that every equation and activation has one WGSL definition however many kernels use
 * it. The helpers are imported as text here, so a bundle (the browser build) carries them too. A helper
 * that reads an override-sized workgroup array (`_rows_dot.wgsl` reads `z`) must be included after that
 * array's declaration: naga 29 (Deno 2.9's WebGPU) panics in its pipeline-constant pass otherwise.
 *
 * | helper              | holds                                                                     |
 * |---------------------|---------------------------------------------------------------------------|
 * | `_step.wgsl`        | the `Step` uniform struct (the time step of a dispatch)                   |
 * | `_index.wgsl`       | `coords3`, an element-wise kernel's flat index as 3-d coordinates         |
 * | `_activations.wgsl` | `sigmoid`, `log1p`, `softplus`, `tanh_stable`                             |
 * | `_reduce.wgsl`      | `workgroup_sum`, `workgroup_max` (the includer declares `scratch`)        |
 * | `_matvec.wgsl`      | `weights4`, `weights_at` (the includer binds `params`)                    |
 * | `_rows_dot.wgsl`    | `rows_dot_z`, four weight rows times the workgroup's input `z`            |
 * | `_cols_dot.wgsl`    | `dz_dot_cols`, four columns of Wᵀ times the workgroup's gradient `dz`      |
 * | `_layer_input.wgsl` | `stage_layer_input`, a controller layer's input into `z` and `controller_in`, |
 * |                     | and `layer_row`, the (slots, L, B, width) layout of the controller's state |
 * | `_content.wgsl`     | `cosine`, eq. 6's similarity with its zero-norm guard                     |
 * | `_shift.wgsl`       | `wrap` and `shift_source`, the ring indices of eq. 8's circular convolution |
 * | `_interpolate.wgsl` | `interpolate`, eq. 7's gate between w^c and w_{t−1}                       |
 * | `_memory_write.wgsl` | `erase_factor` and `written_row`, eqs. 3–4's erase and add               |
 * | `_lstm_cell.wgsl`   | `lstm_cell_forward`, `lstm_cell_backward`, the LSTM cell of one unit      |
 * | `_sharpen.wgsl`     | `sharpened`, eq. 9's weights w̃^γ in log space, zeros kept at zero        |
 * | `_memory_step.wgsl` | the fused memory step's sizes, workgroup memory and helpers (both halves) |
 * | `_head_fields.wgsl` | the head parameters' field layout, activations (eq. 8's shift softmax    |
 * |                     | included) and their slopes (the includer binds `raw_heads`)               |
 *
 * @module
 */

import step from "../../shaders/_step.wgsl" with { type: "text" };
import index from "../../shaders/_index.wgsl" with { type: "text" };
import activations from "../../shaders/_activations.wgsl" with { type: "text" };
import reduce from "../../shaders/_reduce.wgsl" with { type: "text" };
import matvec from "../../shaders/_matvec.wgsl" with { type: "text" };
import content from "../../shaders/_content.wgsl" with { type: "text" };
import rowsDot from "../../shaders/_rows_dot.wgsl" with { type: "text" };
import colsDot from "../../shaders/_cols_dot.wgsl" with { type: "text" };
import layerInput from "../../shaders/_layer_input.wgsl" with { type: "text" };
import shift from "../../shaders/_shift.wgsl" with { type: "text" };
import sharpen from "../../shaders/_sharpen.wgsl" with { type: "text" };
import memoryStep from "../../shaders/_memory_step.wgsl" with { type: "text" };
import headFields from "../../shaders/_head_fields.wgsl" with { type: "text" };
import interpolate from "../../shaders/_interpolate.wgsl" with { type: "text" };
import memoryWrite from "../../shaders/_memory_write.wgsl" with { type: "text" };
import lstmCell from "../../shaders/_lstm_cell.wgsl" with { type: "text" };

const HELPERS: Readonly<Record<string, string>> = {
  "_step.wgsl": step,
  "_index.wgsl": index,
  "_activations.wgsl": activations,
  "_reduce.wgsl": reduce,
  "_matvec.wgsl": matvec,
  "_content.wgsl": content,
  "_rows_dot.wgsl": rowsDot,
  "_cols_dot.wgsl": colsDot,
  "_layer_input.wgsl": layerInput,
  "_head_fields.wgsl": headFields,
  "_shift.wgsl": shift,
  "_sharpen.wgsl": sharpen,
  "_memory_step.wgsl": memoryStep,
  "_interpolate.wgsl": interpolate,
  "_memory_write.wgsl": memoryWrite,
  "_lstm_cell.wgsl": lstmCell,
};

/** The helper files {@linkcode linkShader} can include. */
export const SHADER_HELPERS: readonly string[] = Object.freeze(Object.keys(HELPERS));

/**
 * Replaces every `//! include _name.wgsl` line of a kernel's source with the helper's text (once each).
 *
 * @param code The kernel's WGSL source.
 * @param label The kernel's file, for the error message.
 * @returns The linked source.
 * @throws {RangeError} naming the file and the helper when a helper is unknown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { linkShader } from "./shader_source.ts";
 * const code = linkShader("//! include _activations.wgsl\nfn f(x: f32) -> f32 { return sigmoid(x); }", "f.wgsl");
 * assert(code.includes("fn sigmoid("));
 * ```
 */
export function linkShader(code: string, label: string): string {
  const seen = new Set<string>();
  return code.replace(/^\/\/! include (\S+)[ \t]*$/gm, (_, name: string) => {
    const helper = HELPERS[name];
    if (helper === undefined) {
      throw new RangeError(
        `Cannot link ${label}: it includes ${name}, which is not one of ${SHADER_HELPERS.join(", ")}`,
      );
    }
    if (seen.has(name)) return "";
    seen.add(name);
    return `// ---- ${name} ----\n${helper}// ---- end of ${name} ----`;
  });
}
