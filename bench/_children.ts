/**
 * What the benchmark scripts that train through child processes share: running one of the package's CLI
 * scripts with its output appended to a log, and naming the CPU beside every figure.
 *
 * @module
 */

const SRC = (file: string) => new URL(`../src/cli/${file}`, import.meta.url).pathname;

/** Runs a CLI script of the package as a child process, its output appended to a log file. */
export async function runScript(script: string, args: string[], log: string): Promise<void> {
  const file = await Deno.open(log, { append: true, create: true });
  const header = new TextEncoder().encode(`$ deno run ${script} ${args.join(" ")}\n`);
  await file.write(header);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", SRC(script), ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) await file.write(chunk);
  };
  await Promise.all([pump(child.stdout), pump(child.stderr)]);
  const status = await child.status;
  file.close();
  if (!status.success) {
    throw new Error(`${script} exited with status ${status.code}; see ${log}`);
  }
}

/** The CPU model from `lscpu` (Deno needs all permissions to read /proc/cpuinfo), and the core count. */
export async function cpuModel(): Promise<string> {
  const cores = navigator.hardwareConcurrency;
  try {
    const { stdout } = await new Deno.Command("lscpu", { stdout: "piped", stderr: "null" }).output();
    const model = new TextDecoder().decode(stdout).match(/^Model name:\s*(.+)$/m)?.[1]?.trim();
    if (model) return `${model}, ${cores} cores`;
  } catch { /* no lscpu */ }
  return `unknown CPU, ${cores} cores`;
}
