/**
 * What the browser tests read of the demo page (`window.ntmDemo`), how they wait for it, and how they hold
 * its numbers against Deno's.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type BrowserPage, findChromium, launchChromium } from "./chromium.ts";
import { startDemoServer } from "../../web/serve.ts";
import { createLiveRun, type LiveRunOptions } from "../../src/train/live_run.ts";
import type { TrainingReport } from "../../src/train/loop.ts";
import { presetByName, taskByName } from "../../tasks/presets.ts";
import type { PaperTaskName } from "../../tasks/task.ts";
import type { PresetName } from "../../tasks/presets.ts";

/** The page's state, as `web/app.ts` keeps it. */
export interface PageState {
  engine: string | null;
  isolated: boolean;
  reports: {
    step: number;
    trainCostBits: number;
    costBits: number;
    bitErrors: number;
    gradNorm: number;
    trainSeqPerSecond: number;
  }[];
  done: boolean;
  probe: { cost_bits: number; bit_errors: number } | null;
  programs: {
    program: string;
    answer: string;
    generated: string;
    generated_correct: boolean;
    teacher_forced: string;
  }[];
  refusals: string[];
  errors: string[];
}

/**
 * Polls the page's state until `done` holds; fails on a page error or after 240 s.
 *
 * @param page The page.
 * @param done The condition.
 * @param what What is awaited, for the message.
 * @returns The state that satisfied it.
 */
export async function waitForPage(
  page: BrowserPage,
  done: (s: PageState) => boolean,
  what: string,
): Promise<PageState> {
  const deadline = Date.now() + 240_000;
  for (;;) {
    const s = await page.evaluate<PageState>("window.ntmDemo");
    if (s.errors.length > 0) throw new Error(`The page failed ${what}: ${s.errors.join("; ")}`);
    if (done(s)) return s;
    if (Date.now() > deadline) throw new Error(`The page did not finish ${what} in 240 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** float32 on two compilers (and, for WebGPU, two CPU rasterisers): |page − deno| ≤ ATOL + RTOL·|deno|. */
const ATOL = 1e-3, RTOL = 1e-3;

/** Checks one number of the page against Deno's within tolerance, naming it. */
export function assertClose(page: number, deno: number, what: string): void {
  const bound = ATOL + RTOL * Math.abs(deno);
  assert.ok(
    Number.isFinite(page) && Math.abs(page - deno) <= bound,
    `${what}: the page has ${page}, Deno ${deno} (difference ${Math.abs(page - deno)} > ${bound})`,
  );
}

/** A training report of the page or of Deno's live run. */
interface Report {
  step: number;
  trainCostBits: number;
  costBits: number;
  bitErrors: number;
  gradNorm: number;
}

/**
 * Holds the page's reports against Deno's run of the same live run: the same steps, and every number within
 * float32 tolerance (held-out bit errors within one bit of the held-out batch: a bit decided within float32
 * noise of 0.5 may flip).
 *
 * @param page The page's reports.
 * @param deno Deno's.
 * @param evalEpisodes Episodes in the held-out batch.
 */
export function assertSameReports(
  page: readonly Report[],
  deno: readonly Report[],
  evalEpisodes: number,
): void {
  assert.deepEqual(page.map((r) => r.step), deno.map((r) => r.step));
  deno.forEach((d, i) => {
    const p = page[i]!;
    assertClose(p.trainCostBits, d.trainCostBits, `step ${d.step}: training cost`);
    assertClose(p.costBits, d.costBits, `step ${d.step}: held-out cost`);
    assert.ok(
      Math.abs(p.bitErrors - d.bitErrors) <= 1 / evalEpisodes + 1e-9,
      `step ${d.step}: held-out bit errors: the page has ${p.bitErrors}, Deno ${d.bitErrors}`,
    );
    assertClose(p.gradNorm, d.gradNorm, `step ${d.step}: gradient norm`);
  });
}

/** Base64 of bytes (a screenshot: megabytes, so in chunks). */
export function encodeBase64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

/** A live run as the page's query names it. */
export interface PageRun {
  readonly task: PaperTaskName;
  readonly preset: PresetName;
  readonly steps: number;
  readonly seed: number;
  readonly report: number;
  readonly eval: number;
}

/**
 * A query string from named values (`task=copy&steps=30…`).
 *
 * @param values The fields.
 * @returns The query, without the `?`.
 */
export function pageQuery(values: PageRun | Readonly<Record<string, string | number>>): string {
  return new URLSearchParams(Object.entries(values).map(([k, v]) => [k, `${v}`])).toString();
}

/**
 * The reports of the page's live run trained in Deno instead, on a backend of its choosing.
 *
 * @param run The run, as the page's query names it.
 * @param options The backend and its options.
 * @returns Every report.
 */
export async function denoLiveRunReports(run: PageRun, options: LiveRunOptions): Promise<TrainingReport[]> {
  const live = await createLiveRun({
    task: taskByName(run.task),
    preset: presetByName(run.preset, run.task),
    steps: run.steps,
    seed: run.seed,
    reportEvery: run.report,
    evalEpisodes: run.eval,
  }, options);
  const reports: TrainingReport[] = [];
  try {
    await live.train({ onReport: (r) => void reports.push(r) });
  } finally {
    live.backend.destroy();
  }
  return reports;
}

/** Where Chromium is (`null`: skip the browser tests, unless `NTM_REQUIRE_BROWSER=1` makes them fail). */
const chromium = findChromium();

/**
 * A test in headless Chromium, skipped where Chromium is missing unless `NTM_REQUIRE_BROWSER=1` (as `.ci/run`
 * sets it, after installing Chromium), where it fails instead.
 *
 * @param name The test's name.
 * @param body The test, given Chromium's path.
 */
export function browserTest(name: string, body: (chromium: string) => Promise<void>): void {
  Deno.test({
    name,
    ignore: chromium === null && Deno.env.get("NTM_REQUIRE_BROWSER") !== "1",
    sanitizeResources: false,
    sanitizeOps: false,
    fn() {
      if (chromium === null) {
        throw new Error(
          "Chromium is missing (NTM_REQUIRE_BROWSER=1): apt-get install chromium, or set CHROMIUM",
        );
      }
      return body(chromium);
    },
  });
}

/**
 * Serves the demo page (`deno task demo`'s server, on a free port) and opens a Chromium page, for `body`;
 * closes both after.
 *
 * @param chromium Chromium's path.
 * @param options `webgpu: false` launches Chromium without WebGPU; `isolate: false` serves without COOP/COEP.
 * @param body What to do with the page and the server's URL.
 */
export async function withDemoPage(
  chromium: string,
  options: { webgpu?: boolean; isolate?: boolean },
  body: (page: BrowserPage, url: string) => Promise<void>,
): Promise<void> {
  const server = await startDemoServer({ port: 0, ...(options.isolate === false && { isolate: false }) });
  try {
    const page = await launchChromium(chromium, options.webgpu === false ? { webgpu: false } : {});
    try {
      await body(page, server.url);
    } finally {
      await page.close();
    }
  } finally {
    await server.shutdown();
  }
}
