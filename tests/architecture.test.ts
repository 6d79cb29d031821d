/**
 * The package's layering, read from the import statements of `src/` and `tasks/`: every import between
 * layers points down, no two modules import each other (directly or round a longer cycle), and what a web
 * page needs is free of Deno-only code. The README's Layout section draws the same order.
 */
import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";

const ROOT = normalize(join(dirname(new URL(import.meta.url).pathname), ".."));

/**
 * Layers from the bottom. A module may import from its own layer's directory and from lower layers;
 * layers that share a rank are siblings and may not import each other. `cli` is on top.
 */
const LAYERS: Readonly<Record<string, number>> = {
  "src/model": 0, // shapes, layouts, episodes, seeds: below everything
  "src/optim": 1, // Adam, RMSProp, clipping
  "src/reference": 2, // the float64 engine
  "src/gpu": 2, // the WebGPU engine
  "src/wasm": 2, // the WebAssembly SIMD engine
  "tasks": 2, // the episode generators
  "src/io": 3, // checkpoints, safetensors, atomic writes, the run lock, the metrics log
  "src/train": 4, // the loop, batch sources, run assembly, evaluation and the backends over both engines
  "src/figures": 5, // SVG figures of episodes (drawn with the reference) and of learning curves
  "src/cli": 6, // the commands: parsing, printing and files
};

/** The layers a web page bundles: no `Deno.*`, no `node:`/`npm:`/`jsr:` imports. */
const BROWSER_LAYERS = [
  "src/model",
  "src/optim",
  "src/reference",
  "src/gpu",
  "src/wasm",
  "tasks",
  "src/figures",
];

/** One module's imports (relative specifiers resolved to paths from the repository root). */
export interface ModuleImports {
  readonly path: string;
  readonly imports: readonly string[];
  readonly external: readonly string[];
  readonly usesDeno: boolean;
  /** Imports that only bring types (`import type`, `export type`): erased from a bundle. */
  readonly typeOnly?: readonly string[];
}

/** Strips comments (line and block) so that doc examples and prose do not count as code. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

/** Reads a TypeScript module's import and re-export specifiers. */
export function readImports(path: string, text: string): ModuleImports {
  const body = code(text);
  const specs = [...body.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*"([^"]+)"/g)].map((m) =>
    m[1]!
  );
  specs.push(...[...body.matchAll(/(?:^|\n)\s*import\s*"([^"]+)"/g)].map((m) => m[1]!));
  specs.push(...[...body.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g)].map((m) => m[1]!));
  const imports = specs.filter((s) => s.startsWith(".")).map((s) => normalize(join(dirname(path), s)));
  const external = specs.filter((s) => !s.startsWith("."));
  const typeSpecs = [...body.matchAll(/(?:^|\n)\s*(?:import|export)\s+type\b[^;]*?\bfrom\s*"([^"]+)"/g)]
    .map((m) => m[1]!);
  const valueSpecs = specs.filter((s) => !typeSpecs.includes(s));
  const typeOnly = typeSpecs.filter((s) => s.startsWith(".") && !valueSpecs.includes(s))
    .map((s) => normalize(join(dirname(path), s)));
  return { path, imports, external, usesDeno: /\bDeno\s*\./.test(body), typeOnly };
}

function layerOf(path: string): string | undefined {
  return Object.keys(LAYERS).find((layer) => path === layer || path.startsWith(`${layer}/`));
}

/** Every rule the modules break, one line each (empty when the layering holds). */
export function violations(modules: readonly ModuleImports[]): string[] {
  const problems: string[] = [];
  for (const m of modules) {
    const from = layerOf(m.path);
    if (from === undefined) continue;
    for (const target of m.imports) {
      if (!target.endsWith(".ts")) continue; // the shaders' WGSL text
      const to = layerOf(target);
      if (to === undefined) {
        problems.push(`${m.path} imports ${target}, which is outside the layers`);
      } else if (to !== from && LAYERS[to]! >= LAYERS[from]!) {
        const why = LAYERS[to] === LAYERS[from] ? "a sibling layer" : "a higher layer";
        problems.push(`${m.path} (${from}) imports ${target} (${to}), ${why}`);
      }
    }
    if (BROWSER_LAYERS.includes(from)) {
      for (const spec of m.external) {
        if (/^(node|npm|jsr):/.test(spec)) {
          problems.push(`${m.path} (${from}) imports ${spec}: not in a browser`);
        }
      }
      if (m.usesDeno) problems.push(`${m.path} (${from}) uses Deno.*: not in a browser`);
    }
  }
  // Cycles between modules, of any length (type-only imports included: they still tie the files).
  const graph = new Map(modules.map((m) => [m.path, m.imports.filter((t) => t.endsWith(".ts"))]));
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === "open") {
        problems.push(`import cycle: ${[...stack.slice(stack.indexOf(next)), next].join(" → ")}`);
      } else if (state.get(next) === undefined) {
        visit(next);
      }
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of [...graph.keys()].sort()) if (state.get(node) === undefined) visit(node);
  return problems;
}

async function repositoryModules(): Promise<ModuleImports[]> {
  const modules: ModuleImports[] = [];
  const walk = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(join(ROOT, dir))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".ts")) {
        modules.push(readImports(path, await Deno.readTextFile(join(ROOT, path))));
      }
    }
  };
  await walk("src");
  await walk("tasks");
  return modules;
}

Deno.test("every import between layers points down, with no cycle and no Deno-only code below io", async () => {
  const modules = await repositoryModules();
  assert.ok(modules.length > 60, `only ${modules.length} modules found under ${relative(Deno.cwd(), ROOT)}`);
  for (const m of modules) assert.ok(layerOf(m.path) !== undefined, `${m.path} is in no layer`);
  assert.deepEqual(violations(modules), []);
});

/** What the modules reachable from `entry` use that a browser lacks, one line each (empty when none). */
export function browserViolations(entry: string, modules: readonly ModuleImports[]): string[] {
  const byPath = new Map(modules.map((m) => [m.path, m]));
  const problems: string[] = [];
  const seen = new Set<string>();
  const visit = (path: string, via: string[]): void => {
    if (seen.has(path) || !path.endsWith(".ts")) return;
    seen.add(path);
    const m = byPath.get(path);
    if (m === undefined) return problems.push(`${path} (imported by ${entry}) was not found`), undefined;
    const chain = [...via, path].join(" → ");
    for (const spec of m.external) {
      if (/^(node|npm|jsr):/.test(spec)) problems.push(`${chain} imports ${spec}: not in a browser`);
    }
    if (m.usesDeno) problems.push(`${chain} uses Deno.*: not in a browser`);
    for (const next of m.imports) if (!m.typeOnly?.includes(next)) visit(next, [...via, path]);
  };
  visit(entry, []);
  for (const path of seen) {
    if (path.startsWith("src/cli/")) {
      problems.push(`${entry} reaches ${path}: the commands are not a library`);
    }
  }
  return problems;
}

Deno.test("everything the browser entry (browser.ts) reaches is free of Deno.* and node:, npm:, jsr: imports", async () => {
  const modules = await repositoryModules();
  modules.push(readImports("browser.ts", await Deno.readTextFile(join(ROOT, "browser.ts"))));
  assert.deepEqual(browserViolations("browser.ts", modules), []);
  // The check can fail: a module that reads a file, reached through one that is clean.
  const m = (path: string, imports: string[], external: string[] = [], usesDeno = false): ModuleImports => ({
    path,
    imports,
    external,
    usesDeno,
  });
  assert.deepEqual(
    browserViolations("browser.ts", [
      m("browser.ts", ["src/train/a.ts"]),
      { ...m("src/train/a.ts", ["src/io/b.ts", "src/io/c.ts", "shaders/x.wgsl"]), typeOnly: ["src/io/c.ts"] },
      m("src/io/b.ts", [], ["node:fs"], true),
      m("src/io/c.ts", [], ["node:path"]), // reached by types only: erased from the bundle
      m("src/figures/d.ts", ["src/cli/e.ts"]),
      m("src/cli/e.ts", []),
    ]).concat(browserViolations("browser.ts", [m("browser.ts", ["src/cli/e.ts"]), m("src/cli/e.ts", [])])),
    [
      "browser.ts → src/train/a.ts → src/io/b.ts imports node:fs: not in a browser",
      "browser.ts → src/train/a.ts → src/io/b.ts uses Deno.*: not in a browser",
      "browser.ts reaches src/cli/e.ts: the commands are not a library",
    ],
  );
});

Deno.test("the layering check reports an upward import, a sibling import, a cycle and Deno code", () => {
  const m = (path: string, imports: string[], external: string[] = [], usesDeno = false): ModuleImports => ({
    path,
    imports,
    external,
    usesDeno,
  });
  const found = violations([
    m("src/gpu/engine.ts", ["src/train/loop.ts", "src/reference/model.ts", "src/model/config.ts"]),
    m("src/train/loop.ts", ["src/train/metrics.ts"]),
    m("src/train/metrics.ts", ["src/train/loop.ts"]),
    m("tasks/copy.ts", [], ["node:fs"]),
    m("src/model/config.ts", [], [], true),
    m("src/cli/train.ts", ["src/train/loop.ts", "shaders/x.wgsl"], ["node:path"], true),
    m("src/figures/curve.ts", ["src/cli/args.ts", "src/io/svg.ts"]),
    m("src/train/x.ts", ["src/figures/curve.ts"]),
    m("src/figures/episode.ts", [], [], true),
  ]);
  assert.deepEqual(found, [
    "src/gpu/engine.ts (src/gpu) imports src/train/loop.ts (src/train), a higher layer",
    "src/gpu/engine.ts (src/gpu) imports src/reference/model.ts (src/reference), a sibling layer",
    "tasks/copy.ts (tasks) imports node:fs: not in a browser",
    "src/model/config.ts (src/model) uses Deno.*: not in a browser",
    "src/figures/curve.ts (src/figures) imports src/cli/args.ts (src/cli), a higher layer",
    "src/train/x.ts (src/train) imports src/figures/curve.ts (src/figures), a higher layer",
    "src/figures/episode.ts (src/figures) uses Deno.*: not in a browser",
    "import cycle: src/train/loop.ts → src/train/metrics.ts → src/train/loop.ts",
  ]);
  // Comments and doc examples are not code.
  const doc = readImports(
    "src/gpu/x.ts",
    '/**\n * import { a } from "../train/loop.ts";\n * Deno.exit(1)\n */\n',
  );
  assert.deepEqual([doc.imports, doc.usesDeno], [[], false]);
  const types = readImports(
    "src/gpu/x.ts",
    'import type { A } from "./a.ts";\nimport { type B, c } from "./b.ts";\n',
  );
  assert.deepEqual(types.typeOnly, ["src/gpu/a.ts"]);
  const real = readImports(
    "src/gpu/x.ts",
    'import type { A } from "../train/loop.ts";\nexport { b } from "./b.ts";\n',
  );
  assert.deepEqual(real.imports, ["src/train/loop.ts", "src/gpu/b.ts"]);
});
