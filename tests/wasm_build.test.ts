/**
 * The committed WebAssembly builds are what `deno task build-wasm` makes from `wasm/assembly/` with the
 * pinned AssemblyScript compiler: each build command of the task is run again into a temporary directory
 * and its output compared byte for byte.
 */
import assert from "node:assert/strict";
import { join } from "node:path";

const ROOT = new URL("../", import.meta.url);

Deno.test("wasm/ntm.wasm and wasm/ntm_threads.wasm are fresh builds of wasm/assembly/", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const commands = String(config.tasks["build-wasm"]).split("&&").map((c) => c.trim().split(/\s+/));
  assert.equal(commands.length, 2);
  const dir = await Deno.makeTempDir({ prefix: "ntm-wasm-build-" });
  try {
    for (const command of commands) {
      const out = command.indexOf("-o");
      const committed = command[out + 1]!;
      const fresh = join(dir, committed.replaceAll("/", "_"));
      const args = command.slice(1).map((arg, i) => (i + 1 === out + 1 ? fresh : arg));
      const { code, stderr } = await new Deno.Command(Deno.execPath(), {
        args,
        cwd: new URL(".", ROOT).pathname,
        stdout: "null",
        stderr: "piped",
        env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
      }).output();
      assert.equal(code, 0, new TextDecoder().decode(stderr));
      const [a, b] = [await Deno.readFile(fresh), await Deno.readFile(new URL(committed, ROOT))];
      assert.ok(
        a.length === b.length && a.every((byte, i) => byte === b[i]),
        `${committed} differs from a fresh build (${b.length} bytes committed, ${a.length} built): run deno task build-wasm`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
