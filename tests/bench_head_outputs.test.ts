import assert from "node:assert/strict";
import { headOutputsLine } from "../bench/head_outputs.ts";

Deno.test("headOutputsLine() reports a shipped NTM's head-map outputs, key strengths and sharpening", async () => {
  const dir = new URL("../models/associative-recall", import.meta.url).pathname;
  const line = await headOutputsLine(dir);
  const m = line.match(
    /max \|raw\| ([\d.]+), beyond ±20 ([\d.]+) %, β median ([\d.]+) \(99 %: ([\d.]+)\), γ median ([\d.]+) \(99 %: ([\d.]+)\)$/,
  );
  assert.ok(m, line);
  const [largest, share, beta50, beta99, gamma50, gamma99] = m.slice(1).map(Number) as number[];
  assert.ok(largest! > 0 && share! >= 0 && share! <= 100, line);
  assert.ok(beta50! >= 0 && beta99! >= beta50!, line); // β = softplus(·) ≥ 0
  assert.ok(gamma50! >= 1 && gamma99! >= gamma50!, line); // γ = 1 + softplus(·) ≥ 1
});
