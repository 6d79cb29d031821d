/**
 * Every `deno task` command of `deno.json` answers `--help` with its usage and exit code 0, under the
 * permissions its task grants: no permission error, no stack trace (a command once crashed asking for env
 * access its task did not grant).
 */
import assert from "node:assert/strict";

const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url))) as {
  tasks: Record<string, string>;
};
/** The commands: every task that runs one of the package's scripts (not the test, bench or build tasks). */
const COMMANDS = Object.entries(config.tasks)
  .filter(([name, line]) => line.startsWith("deno run ") && name !== "build-wasm")
  .map(([name]) => name);

Deno.test("every deno task command answers --help with exit code 0 under its own permissions", async () => {
  assert.ok(COMMANDS.length >= 10, COMMANDS.join(", "));
  for (const name of COMMANDS) {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["task", "--quiet", name, "--help"],
      cwd: new URL("..", import.meta.url),
      env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    }).output();
    const out = new TextDecoder().decode(stdout), err = new TextDecoder().decode(stderr);
    assert.equal(code, 0, `deno task ${name} --help exited with ${code}: ${err.slice(-400)}`);
    assert.match(out, /deno task|usage|--help/i, `deno task ${name} --help printed its usage`);
    assert.doesNotMatch(err, /NotCapable|Uncaught|^\s+at /m, `deno task ${name} --help: ${err.slice(-400)}`);
  }
});
