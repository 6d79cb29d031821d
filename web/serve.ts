/**
 * `deno task demo [--port P] [--hostname H]`: bundles the demo page's script (`web/app.ts` and the package's
 * browser entry, WGSL included) and the WebAssembly engine's Worker (`src/wasm/worker.ts`) with
 * `deno bundle --platform browser` into `web/dist/` (git-ignored), then serves the page, its bundles, the
 * engine's kernels and the shipped models of `models/` with Deno's own server.
 *
 * | path                                   | what                                                             |
 * |----------------------------------------|------------------------------------------------------------------|
 * | `/`                                    | `web/index.html`                                                 |
 * | `/style.css`, `/app.js`, `/worker.js`  | the page's style sheet, its bundle and the Worker's bundle       |
 * | `/wasm/ntm.wasm`, `/wasm/ntm_threads.wasm` | the WebAssembly kernels (one thread; threads over shared memory) |
 * | `/models/index.json`                   | the shipped models: `[{ name, task, step }]`                     |
 * | `/models/NAME/FILE`                    | `config.json`, `model.safetensors` or `metrics.jsonl` of a model |
 *
 * Every response carries `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy:
 * require-corp`, which make the page cross-origin isolated: only then may it share memory with Workers, so
 * only then does the WebAssembly engine run on more than one thread.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const WEB = dirname(fileURLToPath(import.meta.url));
const ROOT = join(WEB, "..");
const MODELS = join(ROOT, "models");
/** The files of a shipped model the page may fetch. */
const MODEL_FILES = new Set(["config.json", "model.safetensors", "metrics.jsonl"]);
const STATIC: Readonly<Record<string, [string, string]>> = {
  "/": ["index.html", "text/html; charset=utf-8"],
  "/index.html": ["index.html", "text/html; charset=utf-8"],
  "/style.css": ["style.css", "text/css; charset=utf-8"],
  "/app.js": ["dist/app.js", "text/javascript; charset=utf-8"],
  "/worker.js": ["dist/worker.js", "text/javascript; charset=utf-8"],
  "/wasm/ntm.wasm": ["../wasm/ntm.wasm", "application/wasm"],
  "/wasm/ntm_threads.wasm": ["../wasm/ntm_threads.wasm", "application/wasm"],
};
/** The headers that make the page cross-origin isolated (shared memory for the engine's threads). */
const ISOLATION: Readonly<Record<string, string>> = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
  "cross-origin-resource-policy": "same-origin",
};

/** A running demo server. */
export interface DemoServer {
  /** The page's URL, e.g. `http://127.0.0.1:8000/`. */
  readonly url: string;
  /** Stops serving. */
  shutdown(): Promise<void>;
}

/**
 * Bundles the page's script into `web/dist/app.js` and the WebAssembly engine's Worker into
 * `web/dist/worker.js` with `deno bundle --platform browser`.
 *
 * @returns The bundles' paths.
 * @throws {Error} with the bundler's output when bundling fails.
 */
export async function bundleDemo(): Promise<string[]> {
  const entries: [string, string][] = [
    [join(WEB, "app.ts"), join(WEB, "dist", "app.js")],
    [join(ROOT, "src", "wasm", "worker.ts"), join(WEB, "dist", "worker.js")],
  ];
  return await Promise.all(entries.map(async ([entry, out]) => {
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--quiet", "--platform", "browser", "--minify", "-o", out, entry],
      stdout: "null",
      stderr: "piped",
      env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    }).output();
    if (code !== 0) {
      throw new Error(`Cannot bundle ${entry}: ${new TextDecoder().decode(stderr).trim()}`);
    }
    return out;
  }));
}

/** The shipped models: those directories of `models/` with a `config.json` and a `model.safetensors`. */
async function modelIndex(): Promise<{ name: string; task: string; step: number }[]> {
  const models = [];
  for await (const entry of Deno.readDir(MODELS)) {
    if (!entry.isDirectory) continue;
    try {
      const config = JSON.parse(await Deno.readTextFile(join(MODELS, entry.name, "config.json")));
      await Deno.stat(join(MODELS, entry.name, "model.safetensors"));
      models.push({
        name: entry.name,
        task: String(config.training?.task),
        step: Number(config.progress?.step),
      });
    } catch {
      // not a shipped model
    }
  }
  return models.sort((a, b) => a.name.localeCompare(b.name));
}

/** The request's path, percent-decoded; `null` when its escapes are malformed (`/%E0%A4%A`). */
function requestPath(request: Request): string | null {
  try {
    return decodeURIComponent(new URL(request.url).pathname);
  } catch {
    return null;
  }
}

/**
 * Answers one request as the module doc's table says, with the isolation headers: 404 for an unknown path,
 * 400 for a malformed one.
 *
 * @param request The request.
 * @returns The response.
 */
export async function handleDemoRequest(request: Request): Promise<Response> {
  const response = await answer(request);
  for (const [name, value] of Object.entries(ISOLATION)) response.headers.set(name, value);
  return response;
}

/** The response to a request, before the isolation headers. */
async function answer(request: Request): Promise<Response> {
  const path = requestPath(request);
  if (path === null) {
    return new Response(`bad request: malformed percent-encoding in ${new URL(request.url).pathname}\n`, {
      status: 400,
    });
  }
  const file = async (at: string, type: string) => {
    try {
      return new Response(await Deno.readFile(at), { headers: { "content-type": type } });
    } catch {
      return new Response(`not found: ${path}\n`, { status: 404 });
    }
  };
  const fixed = STATIC[path];
  if (fixed) return await file(join(WEB, fixed[0]), fixed[1]);
  if (path === "/models/index.json") return Response.json(await modelIndex());
  const model = path.match(/^\/models\/([a-z0-9-]+)\/([a-z.]+)$/);
  if (model && MODEL_FILES.has(model[2]!)) {
    const type = model[2]!.endsWith(".json") ? "application/json" : "application/octet-stream";
    return await file(join(MODELS, model[1]!, model[2]!), type);
  }
  if (path === "/favicon.ico") return new Response(null, { status: 204 });
  return new Response(`not found: ${path}\n`, { status: 404 });
}

/** Answers a request as {@linkcode handleDemoRequest} does, without the isolation headers. */
async function withoutIsolation(request: Request): Promise<Response> {
  const response = await handleDemoRequest(request);
  for (const name of Object.keys(ISOLATION)) response.headers.delete(name);
  return response;
}

/**
 * Bundles the page and serves it.
 *
 * @param options The port (0: any free port), the host name to listen on, and `isolate: false` to leave out
 *   the isolation headers (the page then runs the WebAssembly engine on one thread, as on a host that does
 *   not send them).
 * @returns The server.
 */
export async function startDemoServer(
  options: { port?: number; hostname?: string; isolate?: boolean } = {},
): Promise<DemoServer> {
  await bundleDemo();
  const hostname = options.hostname ?? "127.0.0.1";
  let ready: (port: number) => void;
  const listening = new Promise<number>((resolve) => ready = resolve);
  const server = Deno.serve(
    { port: options.port ?? 8000, hostname, onListen: ({ port }) => ready(port) },
    options.isolate === false ? withoutIsolation : handleDemoRequest,
  );
  const port = await listening;
  return { url: `http://${hostname}:${port}/`, shutdown: () => server.shutdown() };
}

/** Reads `--port P` and `--hostname H`; one line and exit code 2 on anything else. */
function parseArgs(args: string[]): { port: number; hostname: string } {
  const options = { port: 8000, hostname: "127.0.0.1" };
  if (args.includes("--help")) {
    console.log(
      "deno task demo [--port P] [--hostname H]: bundles the demo page and serves it (default 127.0.0.1:8000)",
    );
    Deno.exit(0);
  }
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i]!, args[i + 1]];
    if (flag === "--port" && value !== undefined && /^\d+$/.test(value) && Number(value) <= 65535) {
      options.port = Number(value);
    } else if (flag === "--hostname" && value !== undefined && value !== "") {
      options.hostname = value;
    } else {
      console.error(
        `error: deno task demo [--port P] [--hostname H]: cannot read ${JSON.stringify(flag)}` +
          `${value === undefined ? "" : ` ${JSON.stringify(value)}`} (a port is an integer in 0..65535)`,
      );
      Deno.exit(2);
    }
  }
  return options;
}

if (import.meta.main) {
  const options = parseArgs(Deno.args);
  try {
    const server = await startDemoServer(options);
    console.log(`NTM demo: ${server.url} (Ctrl-C stops)`);
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
