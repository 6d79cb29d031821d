import assert from "node:assert/strict";
import { UsageError } from "../src/cli/args.ts";
import { executeCommand } from "../src/cli/execute.ts";
import { trainCommand } from "../src/cli/train.ts";
import { loadCheckpoint } from "../src/io/checkpoint.ts";
import { decodeProgramText, encodeProgramEpisodes, PROGRAM_VOCABULARY } from "../tasks/program.ts";
import { checkpointBackend } from "../src/train/create_backend.ts";

const quiet = { write: () => {}, error: () => {}, live: false, columns: 200 };

/** Trains a tiny addition model on the CPU (30 steps) into a fresh directory. */
async function tinyAdditionModel(dir: string): Promise<string> {
  const out = `${dir}/run`;
  const flags =
    "--task program --operations add --target-length 3 --backend cpu --batch 4 --eval-episodes 4 " +
    "--report-every 10 --steps 30 --controller 8 --memory-n 8 --memory-m 4 --no-eval";
  await trainCommand([...flags.split(" "), "--out", out], quiet);
  return out;
}

Deno.test("executeCommand() answers typed programs greedily, next to Python's answer", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ntm-execute-" });
  try {
    const model = await tinyAdditionModel(dir);
    const checkpoint = await loadCheckpoint(model);
    assert.deepEqual(checkpoint.training.program?.operations, ["add"]);
    let text = "";
    const rows = (await executeCommand(
      ["--checkpoint", model, "--backend", "cpu", "print(398345+42598)", "print(7+5)"],
      (t) => void (text += t),
      () => {},
    ))!;
    assert.deepEqual(rows.map((r) => r.answer), ["440943", "12"]);
    assert.ok(text.startsWith("program   print(398345+42598)\npython    440943\nmodel     "), text);
    assert.match(rows[0]!.note, /a number has 6 digits; the model trained on up to 3/);
    assert.equal(rows[1]!.note, "");

    // The greedy answer is the argmax chain of the model itself: rebuild it one character at a time.
    const backend = await checkpointBackend(checkpoint, "cpu", () => {});
    let generated = "";
    for (let k = 0; k < 24; k++) {
      const batch = encodeProgramEpisodes([{ program: "print(7+5)", answer: generated + "." }]);
      const output = await backend.predict(batch);
      const at = (10 + k) * PROGRAM_VOCABULARY.length;
      const row = Array.from(output.subarray(at, at + PROGRAM_VOCABULARY.length));
      const symbol = decodeProgramText([row.indexOf(Math.max(...row))]);
      if (symbol === ".") break;
      generated += symbol;
    }
    backend.destroy();
    assert.equal(rows[1]!.generated, generated);
    assert.equal(rows[1]!.generated_correct, generated === "12");

    // Programs the model cannot read, each refused in one line naming what is wrong.
    for (
      const [program, message] of [
        [
          "print(3*4)",
          /character "\*" never appears in the programs .* \(operations add: "\(\)\+0123456789inprt"\)/,
        ],
        ["print(3%4)", /character "%" is not in the program vocabulary/],
        ["print(3+)", /is not a program of the task's language: Cannot parse the program: line 1/],
        [`print(${"9".repeat(100_000)}+1)`, /makes an episode of 200011 steps .*; the limit is 100000/],
      ] as const
    ) {
      const error = await executeCommand(["--checkpoint", model, program], () => {}, () => {}).catch((e) =>
        e
      );
      assert.ok(error instanceof UsageError, `${program.slice(0, 20)}: ${error}`);
      assert.match(error.message, message);
    }
    const none = await executeCommand(["--checkpoint", model], () => {}, () => {}).catch((e) => e);
    assert.match(none.message, /give at least one program/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("executeCommand() refuses a checkpoint of another task", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ntm-execute-copy-" });
  try {
    await trainCommand(
      [
        "--backend",
        "cpu",
        "--steps",
        "2",
        "--report-every",
        "2",
        "--controller",
        "8",
        "--no-eval",
        "--out",
        `${dir}/c`,
      ],
      quiet,
    );
    const error = await executeCommand(["--checkpoint", `${dir}/c`, "print(1+2)"], () => {}, () => {})
      .catch((e) => e);
    assert.ok(error instanceof UsageError);
    assert.match(error.message, /holds a copy model; deno task execute runs program-task models only/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
