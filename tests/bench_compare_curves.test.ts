import assert from "node:assert/strict";
import { join } from "node:path";
import { compareCurvesSvg, curvesCommand } from "../bench/compare_curves.ts";
import { UsageError } from "../src/cli/args.ts";
import type { MetricsRecord } from "../src/io/metrics_log.ts";

const record = (sequences: number, cost_bits: number, bit_errors: number): MetricsRecord => ({
  step: sequences,
  sequences,
  seconds: 1,
  train_cost_bits: null,
  grad_norm: null,
  cost_bits,
  bit_errors,
  seq_per_s: 1,
});

Deno.test("compareCurvesSvg() draws one line per run on both charts, and the reference on the cost chart", () => {
  const svg = compareCurvesSvg(
    [
      { name: "NTM", records: [record(100, 50, 20), record(200, 5, 1)] },
      { name: "LSTM", records: [record(100, 60, 25), record(200, 40, 15)] },
    ],
    "Repeat copy",
    { name: "Bayes optimum", bits: 3 },
  );
  assert.equal(svg.match(/<polyline/g)?.length, 5);
  for (const text of ["Repeat copy", "NTM", "LSTM", "Bayes optimum", "Held-out bit errors per sequence"]) {
    assert.ok(svg.includes(text), text);
  }
});

Deno.test("curvesCommand() reads NAME=DIR runs' metrics logs and names bad arguments", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ntm-curves-" });
  try {
    const run = join(dir, "run");
    await Deno.mkdir(run);
    await Deno.writeTextFile(
      join(run, "metrics.jsonl"),
      [record(100, 9, 3), record(200, 4, 1)].map((r) => JSON.stringify(r)).join("\n") + "\n",
    );
    const out = join(dir, "curves.svg");
    let text = "";
    await curvesCommand(["--out", out, "--reference", "optimum=2.5", `NTM=${run}`], (t) => void (text += t));
    assert.match(text, /Wrote .*curves\.svg/);
    assert.ok((await Deno.readTextFile(out)).includes("optimum"));
    const fails = async (args: string[], fragment: string) => {
      const error = await curvesCommand(args, () => {}).then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof UsageError, String(error));
      assert.ok(error.message.includes(fragment), `"${error.message}" should name ${fragment}`);
    };
    await fails([`NTM=${run}`], "--out");
    await fails(["--out", out], "NAME=DIR");
    await fails(["--out", out, run], "NAME=VALUE");
    await fails(["--out", out, "--reference", "x=-1", `NTM=${run}`], "--reference");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("compareCurvesSvg(…, logX) spaces training sequences by their logarithm, ticked at powers of ten", () => {
  const runs = [{
    name: "NTM",
    records: [record(1_000, 50, 20), record(10_000, 5, 1), record(100_000, 1, 0.1)],
  }];
  const svg = compareCurvesSvg(runs, "Priority sort", undefined, true);
  const points = svg.match(/<polyline[^>]*points="([^"]+)"/)![1]!.split(" ").map((p) =>
    Number(p.split(",")[0])
  );
  assert.equal(points.length, 3);
  // A decade is the same width on the page: 1k → 10k as 10k → 100k.
  assert.ok(Math.abs((points[1]! - points[0]!) - (points[2]! - points[1]!)) < 0.05, points.join());
  for (const tick of ["1000", "10k", "100k"]) assert.ok(svg.includes(`>${tick}<`), `tick ${tick}`);
  const linear = compareCurvesSvg(runs, "Priority sort").match(/<polyline[^>]*points="([^"]+)"/)![1]!;
  assert.notEqual(linear, svg.match(/<polyline[^>]*points="([^"]+)"/)![1]!);
});
