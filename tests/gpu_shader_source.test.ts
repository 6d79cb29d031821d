import assert from "node:assert/strict";
import { linkShader, SHADER_HELPERS } from "../src/gpu/shader_source.ts";

const SHADERS = new URL("../shaders/", import.meta.url);

/** Every `fn name(...) { ... }` of a WGSL text, with its body (comments and blank space dropped). */
function functions(text: string): Map<string, string> {
  const code = text.replace(/\/\/.*$/gm, "");
  const found = new Map<string, string>();
  for (const m of code.matchAll(/^fn (\w+)\(/gm)) {
    const i = code.indexOf("{", m.index!);
    let depth = 0, end = i;
    for (; end < code.length; end++) {
      if (code[end] === "{") depth++;
      if (code[end] === "}" && --depth === 0) break;
    }
    found.set(m[1]!, code.slice(m.index!, end + 1).replace(/\s+/g, " "));
  }
  return found;
}

async function shaderFiles(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for await (const entry of Deno.readDir(SHADERS)) {
    if (entry.name.endsWith(".wgsl")) {
      files.set(entry.name, await Deno.readTextFile(new URL(entry.name, SHADERS)));
    }
  }
  return files;
}

Deno.test("linkShader() inlines each included helper once and rejects an unknown one, naming both files", () => {
  const linked = linkShader(
    "//! include _activations.wgsl\n//! include _activations.wgsl\nfn f() {}\n",
    "f.wgsl",
  );
  assert.equal(linked.match(/fn sigmoid\(/g)?.length, 1);
  assert.throws(
    () => linkShader("//! include _nope.wgsl\n", "g.wgsl"),
    /Cannot link g\.wgsl: it includes _nope\.wgsl, which is not one of _step\.wgsl, /,
  );
});

Deno.test("every WGSL function is defined once: no kernel repeats a helper or another kernel's function", async () => {
  const files = await shaderFiles();
  const helpers = [...files.keys()].filter((name) => name.startsWith("_"));
  assert.deepEqual(
    helpers.sort(),
    [...SHADER_HELPERS].sort(),
    "a helper file is missing from shader_source.ts",
  );
  const owner = new Map<string, string>();
  for (const helper of helpers) {
    for (const name of functions(files.get(helper)!).keys()) owner.set(name, helper);
  }
  const bodies = new Map<string, string>();
  for (const [file, text] of files) {
    if (file.startsWith("_")) continue;
    for (const included of text.matchAll(/^\/\/! include (\S+)$/gm)) {
      assert.ok(helpers.includes(included[1]!), `${file} includes unknown ${included[1]}`);
    }
    for (const [name, body] of functions(text)) {
      assert.ok(!owner.has(name), `${file} defines ${name}, which ${owner.get(name)} holds`);
      const twin = bodies.get(body);
      assert.ok(twin === undefined, `${file} repeats ${twin}'s function ${name} word for word`);
      bodies.set(body, `${file}`);
    }
  }
  assert.ok(!/reverse_t/.test([...files.values()].join("\n")), "Step.reverse_t is back");
});
