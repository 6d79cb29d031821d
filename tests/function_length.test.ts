/**
 * Functions short enough to read at once: no top-level function (declared with `function`, or a top-level
 * `const` bound to an arrow function or to a call that takes one, e.g. a command) in `src/` or `tasks/`
 * runs over {@linkcode MAX_LINES} lines, from its first line to its closing brace.
 */
import assert from "node:assert/strict";
import { dirname, join, normalize } from "node:path";

const ROOT = normalize(join(dirname(new URL(import.meta.url).pathname), ".."));

/** The longest a top-level function may be, in lines. */
const MAX_LINES = 120;

/** One top-level function: its name, file and length in lines. */
export interface FunctionSpan {
  readonly file: string;
  readonly name: string;
  readonly line: number;
  readonly lines: number;
}

/**
 * The top-level functions of a formatted module (`deno fmt` puts a top-level declaration's closing brace,
 * bracket or parenthesis at column 0).
 */
export function topLevelFunctions(file: string, text: string): FunctionSpan[] {
  const lines = text.split("\n");
  const spans: FunctionSpan[] = [];
  for (let i = 0; i < lines.length; i++) {
    const declared = lines[i]!.match(/^(?:export\s+)?(?:default\s+)?(?:async\s+)?function\*?\s+(\w+)/);
    const bound = lines[i]!.match(/^(?:export\s+)?const\s+(\w+)\b/);
    if (!declared && !bound) continue;
    // The closing line: the first at column 0 that closes a bracket without opening a body (a multi-line
    // signature's `): T {` opens one); a one-line declaration closes on its own line.
    const closes = (line: string) => /^[})\]]/.test(line) && !/\{\s*$/.test(line);
    let end = i;
    if (!/[{(]\s*$/.test(lines[i]!) && /[;}]\s*$/.test(lines[i]!)) end = i;
    else {
      end = i + 1;
      while (end < lines.length && !closes(lines[end]!)) end++;
      if (end === lines.length) continue;
    }
    const head = lines.slice(i, Math.min(end + 1, i + 4)).join("\n");
    if (bound && !/=>|function\b/.test(head)) continue; // a table, not a function
    spans.push({ file, name: (declared ?? bound)![1]!, line: i + 1, lines: end - i + 1 });
  }
  return spans;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(join(ROOT, dir))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) files.push(...await sourceFiles(path));
    else if (entry.name.endsWith(".ts")) files.push(path);
  }
  return files;
}

Deno.test(`no top-level function in src/ or tasks/ is longer than ${MAX_LINES} lines`, async () => {
  const spans: FunctionSpan[] = [];
  for (const file of [...await sourceFiles("src"), ...await sourceFiles("tasks")]) {
    spans.push(...topLevelFunctions(file, await Deno.readTextFile(join(ROOT, file))));
  }
  assert.ok(spans.length > 300, `only ${spans.length} functions found`);
  const long = spans.filter((s) => s.lines > MAX_LINES)
    .map((s) => `${s.file}:${s.line} ${s.name} is ${s.lines} lines`);
  assert.deepEqual(long, []);
});

Deno.test("topLevelFunctions() measures declarations and bound arrows, not tables", () => {
  const text = [
    "export function a(x: number): number {",
    "  return x;",
    "}",
    "const table = {",
    "  a: 1,",
    "};",
    "export const b = (x: number) => {",
    "  const y = x;",
    "  return y;",
    "};",
    "async function c() {}",
  ].join("\n");
  assert.deepEqual(
    topLevelFunctions("m.ts", text).map((s) => [s.name, s.line, s.lines]),
    [["a", 1, 3], ["b", 7, 4], ["c", 11, 1]],
  );
});
