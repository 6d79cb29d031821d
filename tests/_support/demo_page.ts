/**
 * What the browser tests read of the demo page (`window.ntmDemo`), how they wait for it, and how they hold
 * its numbers against Deno's.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { BrowserPage } from "./chromium.ts";

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
