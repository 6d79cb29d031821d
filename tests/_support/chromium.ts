/**
 * Headless Chromium driven over the Chrome DevTools Protocol with Deno's own WebSocket: launch, open a page,
 * evaluate expressions in it, collect its console errors and exceptions, take a screenshot. Enough for the
 * web demo's test without a browser download or an npm client.
 *
 * The flags that give a WebGPU adapter (SwiftShader) in headless Chromium 156 on a machine without a GPU:
 * `--headless=new --no-sandbox --enable-unsafe-webgpu --disable-gpu-sandbox`, the rest keep it quiet and
 * offline. `--disable-webgpu` in its place gives a browser without WebGPU (`navigator.gpu` missing), as
 * Firefox and Safari users without it have.
 *
 * @module
 */

/** Where Chromium is: `$CHROMIUM`, else the first of the usual paths that exists, else `null`. */
export function findChromium(): string | null {
  const candidates = [Deno.env.get("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"];
  for (const path of candidates) {
    if (!path) continue;
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // not there
    }
  }
  return null;
}

/** The launch flags (see the module note). */
export const CHROMIUM_FLAGS: readonly string[] = [
  "--headless=new",
  "--no-sandbox",
  "--enable-unsafe-webgpu",
  "--disable-gpu-sandbox",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
  "--window-size=1400,1800",
];

/** A page in a running Chromium. */
export interface BrowserPage {
  /** Console errors and uncaught exceptions so far, one line each. */
  readonly errors: string[];
  /** Every console message and log entry so far (warnings included), one line each. */
  readonly messages: string[];
  /** Navigates and waits for the load event. */
  goto(url: string): Promise<void>;
  /** Evaluates an expression in the page (awaiting a promise) and returns its JSON value. */
  evaluate<T>(expression: string): Promise<T>;
  /** A PNG screenshot of the whole page. */
  screenshot(): Promise<Uint8Array>;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/**
 * Launches headless Chromium and opens a blank page.
 *
 * @param executable Chromium's path.
 * @param options `webgpu: false` launches it without WebGPU.
 * @returns The page.
 */
export async function launchChromium(
  executable: string,
  options: { webgpu?: boolean } = {},
): Promise<BrowserPage> {
  const profile = await Deno.makeTempDir({ prefix: "ntm-chromium-" });
  const flags = options.webgpu === false
    ? [...CHROMIUM_FLAGS.filter((f) => f !== "--enable-unsafe-webgpu"), "--disable-webgpu"]
    : CHROMIUM_FLAGS;
  const child = new Deno.Command(executable, {
    args: [...flags, `--user-data-dir=${profile}`, "--remote-debugging-port=0", "about:blank"],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // Chromium prints "DevTools listening on ws://…" on stderr; the rest of stderr is drained and dropped.
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "", browserUrl: string | undefined;
  const deadline = Date.now() + 30_000;
  while (!browserUrl) {
    const { value, done } = await lines.read();
    if (done || Date.now() > deadline) {
      child.kill();
      throw new Error(`Chromium did not start (stderr: ${buffered.slice(-500)})`);
    }
    buffered += value;
    browserUrl = buffered.match(/DevTools listening on (ws:\/\/\S+)/)?.[1];
  }
  (async () => {
    while (!(await lines.read()).done) { /* drain */ }
  })().catch(() => {});
  const port = new URL(browserUrl).port;
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as {
    type: string;
    webSocketDebuggerUrl: string;
  }[];
  const target = targets.find((t) => t.type === "page");
  if (!target) throw new Error("Chromium opened no page");
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error("Cannot connect to Chromium's page"));
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const events = new Map<string, ((params: Record<string, unknown>) => void)[]>();
  const errors: string[] = [], messages: string[] = [];
  socket.onmessage = (message) => {
    const data = JSON.parse(message.data as string);
    if (data.id !== undefined) {
      const waiter = pending.get(data.id);
      pending.delete(data.id);
      if (data.error) waiter?.reject(new Error(`CDP: ${data.error.message}`));
      else waiter?.resolve(data.result);
    } else {
      for (const listener of events.get(data.method) ?? []) listener(data.params);
    }
  };
  const send = <T>(method: string, params: Record<string, unknown> = {}) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      socket.send(JSON.stringify({ id, method, params }));
    });
  const on = (method: string, listener: (params: Record<string, unknown>) => void) =>
    events.set(method, [...(events.get(method) ?? []), listener]);
  on("Runtime.consoleAPICalled", (p) => {
    const args = p.args as { value?: unknown; description?: string }[];
    const line = `console.${p.type}: ${args.map((a) => a.value ?? a.description).join(" ")}`;
    messages.push(line);
    if (p.type === "error") errors.push(line);
  });
  on("Runtime.exceptionThrown", (p) => {
    const details = p.exceptionDetails as { text: string; exception?: { description?: string } };
    errors.push(`exception: ${details.exception?.description ?? details.text}`);
  });
  on("Log.entryAdded", (p) => {
    const entry = p.entry as { level: string; text: string; url?: string };
    const line = `log.${entry.level}: ${entry.text} ${entry.url ?? ""}`.trim();
    messages.push(line);
    if (entry.level === "error") errors.push(line);
  });
  await send("Runtime.enable");
  await send("Log.enable");
  await send("Page.enable");
  return {
    errors,
    messages,
    async goto(url: string): Promise<void> {
      const loaded = new Promise<void>((resolve) => on("Page.loadEventFired", () => resolve()));
      await send("Page.navigate", { url });
      await loaded;
    },
    async evaluate<T>(expression: string): Promise<T> {
      const result = await send<{ result: { value?: T }; exceptionDetails?: { text: string } }>(
        "Runtime.evaluate",
        { expression, awaitPromise: true, returnByValue: true },
      );
      if (result.exceptionDetails) throw new Error(`In the page: ${result.exceptionDetails.text}`);
      return result.result.value as T;
    },
    async screenshot(): Promise<Uint8Array> {
      const { data } = await send<{ data: string }>("Page.captureScreenshot", {
        format: "png",
        captureBeyondViewport: true,
      });
      return Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    },
    async close(): Promise<void> {
      socket.close();
      // Browser.close lets Chromium stop its renderer and GPU processes itself; killing the browser process
      // alone orphans them, and one of them now and then died printing a heap error on the shared stderr.
      const closed = await closeBrowser(browserUrl!, child.status);
      if (!closed) {
        try {
          child.kill();
        } catch {
          // already gone
        }
      }
      await child.status;
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * Asks Chromium to close over its browser-level DevTools socket and waits up to 10 s for it to exit.
 *
 * @param browserUrl The browser's `ws://…/devtools/browser/…` address.
 * @param exited Resolves when the process has exited.
 * @returns Whether it exited in time.
 */
async function closeBrowser(browserUrl: string, exited: Promise<Deno.CommandStatus>): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const socket = new WebSocket(browserUrl);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = () => reject(new Error("no browser socket"));
    });
    socket.onerror = () => {};
    socket.send(JSON.stringify({ id: 1, method: "Browser.close" }));
    const timeout = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), 10_000));
    return await Promise.race([exited.then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
