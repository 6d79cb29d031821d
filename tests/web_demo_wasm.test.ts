/**
 * The web demo in a real browser without WebGPU (headless Chromium with `--disable-webgpu`, as a Firefox or
 * Safari visitor without it): the page, served cross-origin isolated by `deno task demo`'s server, picks the
 * WebAssembly SIMD engine by itself and
 * (a) trains a seeded copy run (batch 1, the calling thread) and a seeded repeat-copy run (batch 16, on every
 *     core through Workers over shared memory) whose reports equal `deno task train --backend wasm`'s live run
 *     with the same threads within float32 tolerance;
 * (b) answers typed programs with the shipped addition model exactly as `deno task execute --backend wasm`
 *     does (one right, one wrong), and refuses a character the model never saw with the command's own line;
 * (c) served without the isolation headers, runs the batch-16 run on one thread, says why, and matches Deno's
 *     one-thread run;
 * (d) logs no console error.
 * Without Chromium the test is skipped, unless `NTM_REQUIRE_BROWSER=1` (as `.ci/run` sets it).
 */
import { quietMesa } from "../src/cli/quiet_mesa.ts";
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  assertSameReports,
  browserTest,
  denoLiveRunReports,
  pageQuery,
  type PageRun,
  waitForPage,
  withDemoPage,
} from "./_support/demo_page.ts";
import { presetByName } from "../tasks/presets.ts";
import { executeCommand } from "../src/cli/execute.ts";
import { UsageError } from "../src/cli/args.ts";

quietMesa();

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The runs the page trains: one episode per step (one thread), and sixteen (every core). */
const RUNS: readonly PageRun[] = [
  { task: "copy", preset: "quick", steps: 30, seed: 1, report: 10, eval: 8 },
  { task: "repeat-copy", preset: "quick", steps: 20, seed: 3, report: 10, eval: 8 },
];
/** Typed programs: the first answered right by the shipped model, the second wrong (models/README.md). */
const PROGRAMS = ["print(27+58)", "print(398345+42598)"];
/** A program with a character the addition model never saw. */
const REFUSED = "print(2*3)";

/** `deno task execute --backend wasm`'s message for a program, or its rows. */
async function execute(programs: string[]) {
  const args = ["--checkpoint", "models/addition", "--backend", "wasm", ...programs];
  const cwd = Deno.cwd();
  Deno.chdir(ROOT); // the refusal names the model's directory as given: models/addition, as the page names it
  try {
    return await executeCommand(args, () => {}, () => {});
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  } finally {
    Deno.chdir(cwd);
  }
}

/** (c) the batch-16 run on a server without the isolation headers: one thread, said, and Deno's figures. */
function notIsolated(chromium: string): Promise<void> {
  return withDemoPage(chromium, { webgpu: false, isolate: false }, async (page, url) => {
    const run = RUNS[1]!;
    await page.goto(`${url}?${pageQuery(run)}&autostart=1`);
    const trained = await waitForPage(page, (s) => s.done, `training ${run.task} without isolation`);
    assert.equal(trained.isolated, false);
    assert.match(
      trained.engine ?? "",
      /^WebAssembly SIMD \(float32\), 1 thread \(the page is not cross-origin isolated/,
    );
    assertSameReports(
      trained.reports,
      await denoLiveRunReports(run, { backend: "wasm", threads: 1 }),
      run.eval,
    );
    assert.deepEqual(page.errors, [], "no console error");
  });
}

browserTest(
  "without WebGPU the demo page trains on the WebAssembly engine and runs programs as Deno does",
  async (chromium) => {
    await withDemoPage(chromium, { webgpu: false }, async (page, url) => {
      for (const run of RUNS) {
        await page.goto(`${url}?${pageQuery(run)}&autostart=1`);
        const trained = await waitForPage(page, (s) => s.done, `training ${run.task}`);
        assert.ok(trained.isolated, "the demo server's headers make the page cross-origin isolated");
        const threads = Number(trained.engine?.match(/^WebAssembly SIMD \(float32\), (\d+) threads?/)?.[1]);
        assert.ok(threads >= 1, `the page names the WebAssembly engine: ${trained.engine}`);
        const batch = presetByName(run.preset, run.task).batch;
        assert.equal(threads, Math.min(navigator.hardwareConcurrency, batch), `${run.task}: threads`);
        assertSameReports(
          trained.reports,
          await denoLiveRunReports(run, { backend: "wasm", threads }),
          run.eval,
        );
      }

      await page.goto(`${url}?program=${encodeURIComponent(PROGRAMS[0]!)}&execute=1`);
      await waitForPage(page, (s) => s.programs.length === 1, "the first program");
      for (const text of [PROGRAMS[1]!, REFUSED]) {
        await page.evaluate(
          `document.getElementById("programText").value = ${JSON.stringify(text)};
           document.getElementById("runProgram").click(); true`,
        );
      }
      const ran = await waitForPage(
        page,
        (s) => s.programs.length === 2 && s.refusals.length === 1,
        "the typed programs",
      );
      const rows = await execute(PROGRAMS);
      assert.ok(Array.isArray(rows), `deno task execute ran: ${rows}`);
      assert.deepEqual(
        ran.programs,
        rows.map(({ program, answer, generated, generated_correct, teacher_forced }) => ({
          program,
          answer,
          generated,
          generated_correct,
          teacher_forced,
        })),
      );
      assert.deepEqual(ran.programs.map((p) => p.generated_correct), [true, false]);
      assert.deepEqual(ran.refusals, [await execute([REFUSED])]);
      assert.deepEqual(page.errors, [], "no console error");
    });
    await notIsolated(chromium);
  },
);
