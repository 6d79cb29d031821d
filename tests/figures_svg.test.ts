import assert from "node:assert/strict";
import { join } from "node:path";
import { trainCommand, type TrainIo } from "../src/cli/train.ts";
import { renderFigures, vizCommand } from "../src/cli/viz.ts";
import { learningCurveSvg } from "../src/figures/learning_curve.ts";
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from "../src/io/checkpoint.ts";
import { colourBarSvg, heatmapLevel, heatmapSvg, viridis } from "../src/figures/heatmap.ts";
import { lineChartSvg, niceTicks } from "../src/figures/line_chart.ts";
import type { MetricsRecord } from "../src/io/metrics_log.ts";
import { escapeXml, svgDocument, svgText } from "../src/figures/svg.ts";
import { UsageError } from "../src/cli/args.ts";
import { ntmConfig } from "../src/model/config.ts";
import { initParameters } from "../src/model/init.ts";
import { parameterLayout } from "../src/model/layout.ts";
import { Rng } from "../src/model/random.ts";
import { createOptimizer } from "../src/optim/optimizer.ts";
import { paperPreset, taskByName } from "../tasks/presets.ts";

/** An XML element as parsed by {@linkcode parseXml}. */
interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/**
 * A strict little XML parser for what the SVG writers emit: one root element, balanced tags, quoted
 * attributes, no raw `<` or stray `&` in text or attribute values. Throws on anything else.
 */
function parseXml(xml: string): XmlElement {
  const body = xml.replace(/^<\?xml [^?]*\?>\s*/, "");
  const token =
    /<!--[\s\S]*?-->|<\/([A-Za-z][\w:-]*)\s*>|<([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/y;
  const entity = /&(?!(?:amp|lt|gt|quot|apos|#\d+);)/;
  const root: XmlElement = { name: "#document", attrs: {}, children: [], text: "" };
  const stack: XmlElement[] = [root];
  let at = 0;
  while (at < body.length) {
    token.lastIndex = at;
    const m = token.exec(body);
    if (!m) throw new Error(`Malformed XML at ${at}: ${JSON.stringify(body.slice(at, at + 60))}`);
    at = token.lastIndex;
    const [, close, open, attrText, selfClose, text] = m;
    const top = stack.at(-1)!;
    if (text !== undefined) {
      if (entity.test(text)) throw new Error(`Unescaped & in text ${JSON.stringify(text.slice(0, 60))}`);
      if (text.trim() !== "" && stack.length === 1) throw new Error("Text outside the root element");
      top.text += text;
    } else if (close !== undefined) {
      if (top.name !== close) throw new Error(`</${close}> closes <${top.name}>`);
      stack.pop();
    } else if (open !== undefined) {
      const attrs: Record<string, string> = {};
      for (const [, key, value] of attrText!.matchAll(/([\w:-]+)="([^"]*)"/g)) {
        if (key! in attrs) throw new Error(`Attribute ${key} repeated on <${open}>`);
        if (entity.test(value!)) throw new Error(`Unescaped & in attribute ${key}`);
        attrs[key!] = value!;
      }
      const element: XmlElement = { name: open, attrs, children: [], text: "" };
      if (stack.length === 1 && root.children.length > 0) throw new Error("More than one root element");
      top.children.push(element);
      if (selfClose !== "/") stack.push(element);
    }
  }
  if (stack.length !== 1) throw new Error(`Unclosed <${stack.at(-1)!.name}>`);
  if (root.children.length !== 1) throw new Error("Expected exactly one root element");
  return root.children[0]!;
}

function all(element: XmlElement, predicate: (e: XmlElement) => boolean): XmlElement[] {
  const found: XmlElement[] = [];
  const visit = (e: XmlElement) => {
    if (predicate(e)) found.push(e);
    e.children.forEach(visit);
  };
  visit(element);
  return found;
}

/** The number of unit cells a heat map group's paths cover (sum of run lengths). */
function coveredCells(group: XmlElement): number {
  let cells = 0;
  for (const path of group.children.filter((c) => c.name === "path")) {
    for (const [, width] of path.attrs.d!.matchAll(/M\d+ \d+h(\d+)v1h-\1z/g)) cells += Number(width);
    assert.equal(path.attrs.d!.replace(/M\d+ \d+h(\d+)v1h-\1z/g, ""), "", "only unit-row runs");
  }
  return cells;
}

Deno.test("parseXml() (the test's checker) rejects malformed XML", () => {
  for (const bad of ["<a><b></a></b>", "<a>", "<a x=1/>", "<a>x & y</a>", "<a/><b/>", "<a>1 < 2</a>"]) {
    assert.throws(() => parseXml(bad), Error, bad);
  }
  assert.equal(parseXml('<?xml version="1.0"?>\n<a k="v"><b/>t</a>').children.length, 1);
});

Deno.test("escapeXml() and svgText() escape markup", () => {
  assert.equal(escapeXml(`<a href="x">&'`), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;");
  const text = parseXml(svgText(1, 2, "N < 2 & M > 1", { anchor: "middle", bold: true, rotate: -90 }));
  assert.equal(text.name, "text");
  assert.equal(text.attrs["text-anchor"], "middle");
  assert.equal(text.text, "N &lt; 2 &amp; M &gt; 1");
});

Deno.test("svgDocument() is a valid SVG document with a viewBox", () => {
  const svg = parseXml(svgDocument(120.4, 50, `<circle cx="1" cy="1" r="1"/>`, "A & B"));
  assert.equal(svg.name, "svg");
  assert.equal(svg.attrs.xmlns, "http://www.w3.org/2000/svg");
  assert.equal(svg.attrs.viewBox, "0 0 121 50");
  assert.equal(svg.children[0]!.name, "title");
});

Deno.test("heatmapSvg() covers every cell above the lowest level exactly once", () => {
  const rows = 7, cols = 13, rng = new Rng(5);
  const values = Array.from({ length: rows * cols }, () => (rng.uniform() < 0.3 ? 0 : rng.uniform()));
  const g = parseXml(
    heatmapSvg(values, rows, cols, { x: 10, y: 20, cellWidth: 3, cellHeight: 2, label: "w" }),
  );
  assert.equal(g.attrs["data-rows"], "7");
  assert.equal(g.attrs["data-cols"], "13");
  assert.equal(g.attrs["data-label"], "w");
  assert.equal(g.attrs.transform, "translate(10 20) scale(3 2)");
  const background = g.children[0]!;
  assert.equal(background.name, "rect");
  assert.equal(background.attrs.width, "13");
  assert.equal(background.attrs.height, "7");
  const above = values.filter((v) => heatmapLevel(v, 0, 1, 32) > 0).length;
  assert.equal(coveredCells(g), above);
  // One path per level in use, each a distinct colour.
  const fills = g.children.filter((c) => c.name === "path").map((p) => p.attrs.fill);
  assert.equal(new Set(fills).size, fills.length);
});

Deno.test("heatmapSvg() draws a map of distinct values with one square per cell", () => {
  const rows = 4, cols = 5;
  const values = Array.from({ length: rows * cols }, (_, i) => 0.05 + (i % 19) / 20);
  assert.equal(
    coveredCells(parseXml(heatmapSvg(values, rows, cols, { x: 0, y: 0, cellWidth: 1, cellHeight: 1 }))),
    20,
  );
  assert.throws(() => heatmapSvg([1, 2], 2, 2, { x: 0, y: 0, cellWidth: 1, cellHeight: 1 }), RangeError);
  assert.throws(() => heatmapSvg([], 0, 2, { x: 0, y: 0, cellWidth: 1, cellHeight: 1 }), RangeError);
});

Deno.test("heatmapLevel() and viridis() map values onto the colour scale", () => {
  assert.equal(heatmapLevel(NaN, 0, 1, 32), 0);
  assert.equal(heatmapLevel(-3, 0, 1, 32), 0);
  assert.equal(heatmapLevel(7, 0, 1, 32), 31);
  assert.equal(heatmapLevel(0, -1, 1, 33), 16);
  assert.equal(viridis(0.5), "#21918c");
  assert.equal(
    parseXml(colourBarSvg(0, 0, 100, "0", "1")).children.filter((c) => c.name === "rect").length,
    32,
  );
});

Deno.test("lineChartSvg() draws each series, with a log axis that survives zeros", () => {
  const g = parseXml(lineChartSvg(
    [
      { name: "cost", colour: "#1f77b4", points: [[0, 30], [100, 3], [200, 0]] },
      { name: "errors", colour: "#d62728", dashed: true, points: [[0, 5], [100, NaN], [200, 0.01]] },
    ],
    { x: 0, y: 0, width: 400, height: 250, title: "Cost", xLabel: "sequences", yLabel: "bits", logY: true },
  ));
  const lines = all(g, (e) => e.name === "polyline");
  assert.equal(lines.length, 2);
  assert.equal(lines[1]!.attrs["stroke-dasharray"], "4 3");
  for (const line of lines) {
    assert.doesNotMatch(line.attrs.points!, /NaN|Infinity/);
  }
  assert.equal(lines[1]!.attrs.points!.split(" ").length, 2); // the NaN point is skipped
  assert.deepEqual(niceTicks(0, 1000, 5), [0, 200, 400, 600, 800, 1000]);
});

Deno.test("learningCurveSvg() plots held-out cost and bit errors against sequences", () => {
  const records: MetricsRecord[] = [100, 200, 300].map((step, i) => ({
    step,
    sequences: step * 16,
    seconds: step / 10,
    train_cost_bits: 40 / (i + 1),
    grad_norm: 1,
    cost_bits: 30 / (i + 1) ** 3,
    bit_errors: i === 2 ? 0 : 5 - 2 * i,
    seq_per_s: 160,
  }));
  const svg = parseXml(learningCurveSvg(records, "copy <test>"));
  assert.match(svg.attrs.viewBox!, /^0 0 \d+ \d+$/);
  assert.equal(all(svg, (e) => e.attrs.class === "line-chart").length, 2);
  assert.equal(all(svg, (e) => e.name === "polyline").length, 3);
});

/** A checkpoint with fresh parameters; no training needed to draw it. */
async function saveFresh(
  dir: string,
  task: "copy" | "priority-sort",
  model: Parameters<typeof ntmConfig>[0],
) {
  const config = ntmConfig(model);
  const layout = parameterLayout(config);
  const optimizer = createOptimizer("adam", layout.size);
  const checkpoint: Checkpoint = {
    config,
    training: {
      task,
      preset: "paper",
      backend: "cpu",
      range: taskByName(task).defaultRange,
      batch: 1,
      steps: 1,
      seed: 1,
      evalSeed: 2,
      memorySeed: 3,
      reportEvery: 1,
      evalEpisodes: 1,
      stopAtBitErrors: null,
      optimizer: { name: "adam", options: optimizer.options },
    },
    progress: {
      step: 0,
      sequences: 0,
      seconds: 0,
      dataRng: new Rng(1).getState(),
      memoryRng: new Rng(3).getState(),
      costBits: null,
      bitErrors: null,
    },
    params: initParameters(config, layout, 1),
    optimizer: optimizer.state,
  };
  await saveCheckpoint(dir, checkpoint);
}

Deno.test("renderFigures() draws one heat map per signal and per head, T columns wide", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ntm-svg-" });
  try {
    const quiet: TrainIo = { write: () => {}, error: () => {}, live: false };
    const run = join(dir, "run");
    await trainCommand(
      [
        ...["--backend", "cpu", "--controller", "8", "--memory-n", "8", "--memory-m", "4", "--batch", "2"],
        ...["--read-heads", "2", "--steps", "20", "--report-every", "10", "--max-len", "3", "--no-eval"],
        ...["--eval-episodes", "2", "--out", run],
      ],
      quiet,
    );
    const paths = await renderFigures(await loadCheckpoint(run), { length: 4 });
    assert.equal(paths.episode, join(run, "episode.svg"));
    assert.equal(paths.learningCurve, join(run, "learning_curve.svg"));
    const episode = parseXml(await Deno.readTextFile(paths.episode));
    assert.match(episode.attrs.viewBox!, /^0 0 \d+ \d+$/);
    const maps = all(episode, (e) => e.attrs.class === "heatmap");
    // Inputs, targets, outputs; per write head add vectors and weightings; per read head reads and weightings.
    assert.equal(maps.length, 3 + 2 * 1 + 2 * 2);
    const T = 2 * 4 + 1;
    for (const map of maps) assert.equal(map.attrs["data-cols"], String(T));
    assert.deepEqual(maps.map((m) => m.attrs["data-rows"]), ["9", "8", "8", "4", "8", "4", "8", "4", "8"]);
    assert.match(maps[4]!.attrs["data-label"]!, /^Write weightings, write head 1 \(N = 8 rows\)/);
    parseXml(await Deno.readTextFile(paths.learningCurve!));

    let out = "";
    await vizCommand(["--checkpoint", run, "--length", "2"], (t) => void (out += t));
    assert.ok(out.includes(`Episode: ${paths.episode}`));
    const error = await vizCommand(["--checkpoint", run, "--length", "zero"], () => {}).catch((e) => e);
    assert.ok(error instanceof UsageError && error.message.includes("--length"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("renderFigures() keeps the paper's priority-sort figure small", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ntm-svg-" });
  try {
    const task = taskByName("priority-sort");
    await saveFresh(dir, "priority-sort", {
      ...paperPreset("priority-sort").model,
      inputSize: task.inputSize,
      outputSize: task.outputSize,
    });
    const { episode, learningCurve } = await renderFigures(await loadCheckpoint(dir));
    assert.equal(learningCurve, null); // no metrics.jsonl
    const text = await Deno.readTextFile(episode);
    assert.ok(text.length < 400_000, `episode.svg is ${text.length} bytes`);
    const maps = all(parseXml(text), (e) => e.attrs.class === "heatmap");
    assert.equal(maps.length, 3 + 4 * 5);
    assert.equal(maps.filter((m) => m.attrs["data-rows"] === "128").length, 10);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
