import assert from "node:assert/strict";
import { writeFileAtomic } from "../src/io/atomic_write.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ntm-atomic-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

const TEMP_NAME = /^\.target\.bin\.tmp-[0-9a-f]{12}$/;

Deno.test("writeFileAtomic() creates a file and leaves no temporary file behind", async () => {
  await withTempDir(async (dir) => {
    const data = new Uint8Array(3 * (1 << 20) + 5); // several write chunks
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + 7) & 0xff;
    await writeFileAtomic(`${dir}/target.bin`, data);
    assert.deepEqual(await Deno.readFile(`${dir}/target.bin`), data);
    assert.deepEqual(await listDir(dir), ["target.bin"]);
  });
});

Deno.test("writeFileAtomic() replaces existing content, bytes or UTF-8 text", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/target.bin`;
    await Deno.writeTextFile(path, "old content that is longer than the new");
    await writeFileAtomic(path, "new ✓");
    assert.equal(await Deno.readTextFile(path), "new ✓");
    await writeFileAtomic(path, new Uint8Array([0, 255]));
    assert.deepEqual(await Deno.readFile(path), new Uint8Array([0, 255]));
    await writeFileAtomic(path, "");
    assert.equal((await Deno.stat(path)).size, 0);
    assert.deepEqual(await listDir(dir), ["target.bin"]);
  });
});

Deno.test("writeFileAtomic() keeps the old content and removes the temporary file when writing fails midway", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/target.bin`;
    await Deno.writeTextFile(path, "old");
    const seenDuringWrite: { name: string; size: number }[] = [];
    let calls = 0;
    // Bytes that fail once the writer asks for its second 1 MiB chunk, after the first is on disk.
    class FailingBytes extends Uint8Array {
      override subarray(begin?: number, end?: number): Uint8Array<ArrayBuffer> {
        if (++calls > 2) {
          for (const entry of Deno.readDirSync(dir)) {
            seenDuringWrite.push({ name: entry.name, size: Deno.statSync(`${dir}/${entry.name}`).size });
          }
          throw new Error("simulated read failure");
        }
        return super.subarray(begin, end);
      }
    }
    await assert.rejects(writeFileAtomic(path, new FailingBytes(3 << 20)), /simulated read failure/);
    // The failure really came midway: a temporary file held part of the data next to the untouched target.
    const temporary = seenDuringWrite.find((e) => TEMP_NAME.test(e.name));
    assert.ok(temporary && temporary.size >= 1 << 20, JSON.stringify(seenDuringWrite));
    assert.equal(await Deno.readTextFile(path), "old");
    assert.deepEqual(await listDir(dir), ["target.bin"]);
  });
});

Deno.test("writeFileAtomic() leaves the target and no temporary file when the rename fails", async () => {
  await withTempDir(async (dir) => {
    // A non-empty directory where the file should go: the data is written and synced, the rename fails.
    const path = `${dir}/target.bin`;
    await Deno.mkdir(path);
    await Deno.writeTextFile(`${path}/inside.txt`, "keep me");
    await assert.rejects(writeFileAtomic(path, "new"), Error); // IsADirectory on Linux
    assert.equal(await Deno.readTextFile(`${path}/inside.txt`), "keep me");
    assert.deepEqual(await listDir(dir), ["target.bin"]);
    assert.deepEqual(await listDir(path), ["inside.txt"]);
  });
});

Deno.test("writeFileAtomic() fails cleanly when the directory does not exist", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(writeFileAtomic(`${dir}/missing/target.bin`, "x"), Deno.errors.NotFound);
    assert.deepEqual(await listDir(dir), []);
  });
});

Deno.test("writeFileAtomic() lets concurrent writers race without mixing their content", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/target.bin`;
    const contents = Array.from({ length: 8 }, (_, i) => new Uint8Array(100_000).fill(i + 1));
    await Promise.all(contents.map((c) => writeFileAtomic(path, c)));
    const final = await Deno.readFile(path);
    assert.ok(contents.some((c) => final.length === c.length && final.every((b) => b === c[0])));
    assert.deepEqual(await listDir(dir), ["target.bin"]);
  });
});

Deno.test("writeFileAtomic() rejects an empty path and data of the wrong type", async () => {
  await assert.rejects(
    writeFileAtomic("", "x"),
    new TypeError('Cannot write a file atomically: path must be a non-empty string, got ""'),
  );
  await withTempDir(async (dir) => {
    await assert.rejects(
      writeFileAtomic(`${dir}/target.bin`, [1, 2] as unknown as Uint8Array),
      new TypeError(
        `Cannot write ${dir}/target.bin atomically: data must be a Uint8Array or a string, got object`,
      ),
    );
    assert.deepEqual(await listDir(dir), []);
  });
});
