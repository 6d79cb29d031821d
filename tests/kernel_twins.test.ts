/**
 * One name per equation across WGSL and float64: every WGSL entry point of `shaders/` has its float64 twin
 * in `src/reference/` or `src/optim/` under the same name (snake_case there, camelCase here), or is listed
 * below with the twins it is checked against, or as data movement with no arithmetic of its own. Renaming
 * either side without the other fails this test.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

/** Entry points whose twin is more than one float64 function, or has another scope. */
const COMPOSITE_TWINS: Readonly<Record<string, readonly string[]>> = {
  // the fused kernels: one time step of the controller, and of addressing, reading and writing
  controller_step_forward: ["controllerStepForward"],
  controller_step_backward: ["controllerStepBackward"],
  memory_step_forward: ["addressingStepForward", "readWriteStepForward"],
  memory_step_backward: ["addressingStepBackward", "readWriteStepBackward"],
  // the memory's part of content addressing's backward, split off to avoid atomics
  content_address_backward_memory: ["contentAddressBackward"],
  // the linear layer's backward, one kernel per output
  linear_backward_input: ["linearBackward"],
  linear_weight_grad: ["linearBackward"],
  linear_weight_grad_tiled: ["linearBackward"],
  linear_bias_grad: ["linearBackward"],
  // the output's loss: forward and the gradient of the logits in one kernel
  sigmoid_cross_entropy: ["sigmoidCrossEntropyForward", "crossEntropyBackward"],
  softmax_cross_entropy: ["softmaxCrossEntropyForward", "crossEntropyBackward"],
  // global-norm clipping: the norm, then the scale
  clip_norm: ["clipGlobalNorm"],
  clip_scale: ["clipGlobalNorm"],
};

/** Entry points that only move or re-lay values (no arithmetic to check against a float64 twin). */
const DATA_MOVEMENT: Readonly<Record<string, string>> = {
  pack_weights: "copies the controller's weights into the fused kernel's tiled layout",
  output_gather_forward: "copies [h_t; r_t] into the output layer's input",
  output_gather_backward: "copies the output layer's input gradient back to h_t and r_t",
};

/** snake_case → camelCase. */
function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

async function read(dir: string, ext: string): Promise<string> {
  let text = "";
  for await (const entry of Deno.readDir(new URL(dir, ROOT))) {
    if (entry.name.endsWith(ext)) {
      text += await Deno.readTextFile(new URL(`${dir}${entry.name}`, ROOT)) + "\n";
    }
  }
  return text;
}

/** The WGSL entry points of a shader text. */
export function entryPoints(wgsl: string): string[] {
  return [...wgsl.matchAll(/@compute[^\n]*\n\s*fn (\w+)\(/g)].map((m) => m[1]!);
}

/** What is wrong with the pairing, one line per problem (empty when every entry point has its twin). */
export function twinProblems(entries: readonly string[], exported: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const entry of entries) {
    if (entry in DATA_MOVEMENT) continue;
    const twins = COMPOSITE_TWINS[entry] ?? [camel(entry)];
    for (const twin of twins) {
      if (!exported.has(twin)) {
        problems.push(`WGSL entry point ${entry} has no float64 twin ${twin} in src/reference or src/optim`);
      }
    }
  }
  for (const listed of [...Object.keys(COMPOSITE_TWINS), ...Object.keys(DATA_MOVEMENT)]) {
    if (!entries.includes(listed)) problems.push(`${listed} is listed here but is no WGSL entry point`);
  }
  // A float64 op named like an entry point's twin but with no entry point: one side was renamed.
  for (const name of exported) {
    const snake = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    const paired = /(Forward|Backward|Update)$/.test(name) && !entries.includes(snake) &&
      !Object.values(COMPOSITE_TWINS).some((twins) => twins.includes(name));
    if (paired && !REFERENCE_ONLY.has(name)) {
      problems.push(`float64 ${name} has no WGSL entry point ${snake}`);
    }
  }
  return problems;
}

/** Float64 ops with no kernel of their own: run inside a larger kernel, or the whole-model passes. */
const REFERENCE_ONLY: ReadonlySet<string> = new Set([
  "referenceForward", // the whole model over a batch: the engine's schedule of kernels
  "referenceBackward",
  "headsStepForward", // inside controller_step / head_params (linear map + head_params_forward)
  "headsStepBackward",
  "outputStepForward", // the output layer + loss: linear_forward + *_cross_entropy
  "outputStepBackward",
]);

Deno.test("every WGSL entry point has its float64 twin under one name", async () => {
  const entries = entryPoints(await read("shaders/", ".wgsl"));
  assert.ok(entries.length > 30, `only ${entries.length} entry points found`);
  const source = await read("src/reference/", ".ts") + await read("src/optim/", ".ts");
  const exported = new Set([...source.matchAll(/^export function (\w+)/gm)].map((m) => m[1]!));
  assert.deepEqual(twinProblems(entries, exported), []);
});

Deno.test("twinProblems() names a kernel or a float64 op renamed on one side only", () => {
  const exported = new Set(["memoryReadForward", "shiftForward", "linearBackward", "clipGlobalNorm"]);
  const entries = [
    "memory_read_forward",
    "shift_forward",
    ...Object.keys(COMPOSITE_TWINS),
    ...Object.keys(DATA_MOVEMENT),
  ];
  const renamedKernel = entries.map((e) => e === "memory_read_forward" ? "memory_read_fwd" : e);
  assert.ok(
    twinProblems(renamedKernel, exported).includes(
      "float64 memoryReadForward has no WGSL entry point memory_read_forward",
    ),
  );
  assert.ok(
    twinProblems(renamedKernel, exported).includes(
      "WGSL entry point memory_read_fwd has no float64 twin memoryReadFwd in src/reference or src/optim",
    ),
  );
  const renamedTwin = new Set([...exported].map((n) => n === "shiftForward" ? "circularShiftForward" : n));
  assert.ok(
    twinProblems(entries, renamedTwin).includes(
      "WGSL entry point shift_forward has no float64 twin shiftForward in src/reference or src/optim",
    ),
  );
});
