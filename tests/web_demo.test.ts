/**
 * The web demo in a real browser with WebGPU: `deno task demo`'s server bundles and serves the page, headless
 * Chromium (SwiftShader's WebGPU, forced with `backend=webgpu`: `auto` would take the WebAssembly engine over
 * a software adapter) loads it with a query that trains a short seeded copy run, and the test checks that
 * (a) the page's reports (training cost, held-out cost and bit errors, gradient norm) equal those of the same
 * run on Deno's WebGPU (lavapipe) within float32 tolerance, (b) a shipped model's evaluation in the page
 * equals `deno task eval --backend webgpu`'s, (c) the page drew (a screenshot that is not blank) and logged
 * no console error. Without Chromium the test is skipped, unless `NTM_REQUIRE_BROWSER=1` (as `.ci/run`
 * sets it, after installing Chromium). `NTM_DEMO_SCREENSHOT=PATH` keeps the screenshot there.
 */
import { quietMesa } from "../src/cli/quiet_mesa.ts";
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  assertClose,
  assertSameReports,
  browserTest,
  denoLiveRunReports,
  encodeBase64,
  pageQuery,
  type PageRun,
  waitForPage,
  withDemoPage,
} from "./_support/demo_page.ts";
import { requestGpuContext } from "../src/gpu/device.ts";
import { evaluateCheckpoint } from "../src/train/evaluate.ts";
import { loadCheckpoint } from "../src/io/checkpoint.ts";

// Mesa's Vulkan driver would print a stray Wayland error line in a plain shell.
quietMesa();

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The short run both engines train: the quick copy preset (the paper's copy model, batch 1). */
const RUN: PageRun = { task: "copy", preset: "quick", steps: 30, seed: 1, report: 10, eval: 8 };
/** The probe of a shipped model. */
const PROBE = { model: "copy", length: 20, episodes: 8, probeSeed: 2, backend: "webgpu" } as const;

browserTest(
  "the demo page trains, evaluates and draws in headless Chromium as Deno's WebGPU engine does",
  (chromium) =>
    withDemoPage(chromium, {}, async (page, url) => {
      await page.goto(`${url}?${pageQuery({ ...RUN, backend: "webgpu" })}&autostart=1`);
      const trained = await waitForPage(page, (s) => s.done, "training");
      const status = await page.evaluate<string>("document.getElementById('status').textContent");
      assert.match(status, new RegExp(`step ${RUN.steps}\\b`));
      assert.match(status, /cost \d+\.\d+ bits/);
      const svgs = await page.evaluate<number>(
        "document.querySelectorAll('#curve svg, #episode svg').length",
      );
      assert.equal(svgs, 2, "the learning curve and the episode figure are drawn");

      // (c) a screenshot, not blank: many colours, a good share of pixels not background.
      const png = await page.screenshot();
      const out = Deno.env.get("NTM_DEMO_SCREENSHOT") ?? await Deno.makeTempFile({ suffix: ".png" });
      await Deno.writeFile(out, png);
      const pixels = await page.evaluate<{ colours: number; inked: number }>(`(async () => {
        const image = new Image();
        image.src = ${JSON.stringify(`data:image/png;base64,${encodeBase64(png)}`)};
        await image.decode();
        const canvas = new OffscreenCanvas(image.width, image.height);
        const g = canvas.getContext("2d");
        g.drawImage(image, 0, 0);
        const data = g.getImageData(0, 0, image.width, image.height).data;
        const colours = new Set();
        let inked = 0;
        for (let i = 0; i < data.length; i += 4) {
          colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
          if (data[i] + data[i + 1] + data[i + 2] < 600) inked++;
        }
        return { colours: colours.size, inked: inked / (data.length / 4) };
      })()`);
      assert.ok(
        pixels.colours > 100 && pixels.inked > 0.05,
        `the screenshot looks blank: ${JSON.stringify(pixels)}`,
      );

      // (a) the same run on Deno's WebGPU.
      const context = await requestGpuContext();
      const reports = await denoLiveRunReports(RUN, { backend: "webgpu", context })
        .finally(() => context.device.destroy());
      assert.match(trained.engine ?? "", /^WebGPU: .*\(picked\)$/);
      assertSameReports(trained.reports, reports, RUN.eval);

      // (b) a shipped model's evaluation.
      await page.goto(`${url}?${pageQuery(PROBE)}&probe=1`);
      const probed = await waitForPage(page, (s) => s.probe !== null, "the probe");
      const evaluation = await evaluateCheckpoint(await loadCheckpoint(join(ROOT, "models", PROBE.model)), {
        lengths: [PROBE.length],
        episodes: PROBE.episodes,
        seed: PROBE.probeSeed,
        backend: "webgpu",
        notice: () => {},
      });
      assertClose(probed.probe!.cost_bits, evaluation.rows[0]!.cost_bits, "models/copy: cost");
      assertClose(probed.probe!.bit_errors, evaluation.rows[0]!.bit_errors, "models/copy: bit errors");
      assert.deepEqual(page.errors, [], "no console error");
    }),
);
