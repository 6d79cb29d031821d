/**
 * `deno task page-run [--no-webgpu] [--screenshot PATH] [QUERY]`: serves the demo page as `deno task demo`
 * does, opens it in headless Chromium (`$CHROMIUM` or `/usr/bin/chromium`), trains the run the query names
 * (default `task=copy&preset=quick&steps=2000&seed=1`, the README's browser figure), and prints the engine the
 * page chose, its reports as the page's own counters show them (sequences per second over the run so far,
 * training and held-out cost, held-out bit errors), and last one JSON line of the final report. With
 * `--no-webgpu` Chromium runs with `--disable-webgpu`, as a browser without WebGPU; `--screenshot` keeps a
 * PNG of the whole page.
 *
 * @module
 */

import { findChromium } from "../tests/_support/chromium.ts";
import { type PageState, waitForPage, withDemoPage } from "../tests/_support/demo_page.ts";
import { quietMesa } from "../src/cli/quiet_mesa.ts";

const DEFAULT_QUERY = "task=copy&preset=quick&steps=2000&seed=1";

/** Reads the flags; one line and exit code 2 on anything else. */
function parseArgs(args: string[]): { webgpu: boolean; screenshot?: string; query: string } {
  const options: { webgpu: boolean; screenshot?: string; query: string } = {
    webgpu: true,
    query: DEFAULT_QUERY,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--help") {
      console.log(
        `deno task page-run [--no-webgpu] [--screenshot PATH] [QUERY] (default query: ${DEFAULT_QUERY})`,
      );
      Deno.exit(0);
    }
    if (arg === "--no-webgpu") options.webgpu = false;
    else if (arg === "--screenshot" && args[i + 1]) options.screenshot = args[++i]!;
    else if (!arg.startsWith("--") && arg.includes("=")) options.query = arg.replace(/^\?/, "");
    else {
      console.error(
        `error: deno task page-run [--no-webgpu] [--screenshot PATH] [QUERY]: cannot read ${arg}`,
      );
      Deno.exit(2);
    }
  }
  return options;
}

if (import.meta.main) {
  quietMesa();
  const options = parseArgs(Deno.args);
  const chromium = findChromium();
  if (chromium === null) {
    console.error("error: Chromium is missing: apt-get install chromium, or set CHROMIUM");
    Deno.exit(1);
  }
  try {
    await withDemoPage(chromium, { webgpu: options.webgpu }, async (page, url) => {
      await page.goto(`${url}?${options.query}&autostart=1`);
      const state: PageState = await waitForPage(page, (s) => s.done, "training");
      console.log(
        `Chromium ${options.webgpu ? "with" : "without"} WebGPU; the page trains on: ${state.engine}`,
      );
      console.log("step   seq/s   training cost   held-out cost   bit errors");
      for (const r of state.reports) {
        console.log(
          `${String(r.step).padStart(5)} ${r.trainSeqPerSecond.toFixed(0).padStart(7)} ` +
            `${r.trainCostBits.toFixed(3).padStart(15)} ${r.costBits.toFixed(3).padStart(15)} ` +
            `${r.bitErrors.toFixed(3).padStart(12)}`,
        );
      }
      if (options.screenshot) await Deno.writeFile(options.screenshot, await page.screenshot());
      if (page.errors.length > 0) console.error(`console errors: ${page.errors.join("; ")}`);
      console.log(JSON.stringify({ engine: state.engine, query: options.query, ...state.reports.at(-1) }));
    });
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
