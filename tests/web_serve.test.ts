/**
 * The demo server's answers without a browser: the shipped models' index, a model file, the kernels, the
 * isolation headers, 404 for an unknown path and 400 (no stack trace) for a malformed percent-encoding.
 */

import { strict as assert } from "node:assert";
import { handleDemoRequest } from "../web/serve.ts";

const at = (path: string) => handleDemoRequest(new Request(`http://127.0.0.1:8000${path}`));

Deno.test("handleDemoRequest() answers a malformed percent-encoding with 400 and one line", async () => {
  const response = await at("/%E0%A4%A");
  assert.equal(response.status, 400);
  const text = await response.text();
  assert.match(text, /^bad request: malformed percent-encoding in \/%E0%A4%A\n$/);
});

Deno.test("handleDemoRequest() lists the shipped models and serves their files, 404 otherwise", async () => {
  const index = await (await at("/models/index.json")).json() as { name: string }[];
  assert.ok(index.some((model) => model.name === "copy"), JSON.stringify(index));
  const config = await at("/models/copy/config.json");
  assert.equal(config.status, 200);
  assert.equal((await config.json()).training.task, "copy");
  const missing = await at("/models/copy/secret.txt");
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
});

Deno.test("handleDemoRequest() isolates the page (COOP/COEP) and serves the WebAssembly kernels", async () => {
  for (const path of ["/", "/wasm/ntm.wasm", "/wasm/ntm_threads.wasm", "/nothing-here"]) {
    const response = await at(path);
    await response.body?.cancel();
    assert.equal(response.headers.get("cross-origin-opener-policy"), "same-origin", path);
    assert.equal(response.headers.get("cross-origin-embedder-policy"), "require-corp", path);
  }
  const wasm = await at("/wasm/ntm_threads.wasm");
  assert.equal(wasm.status, 200);
  assert.equal(wasm.headers.get("content-type"), "application/wasm");
  const bytes = new Uint8Array(await wasm.arrayBuffer());
  assert.deepEqual([...bytes.subarray(0, 4)], [0, 0x61, 0x73, 0x6d], "a WebAssembly module");
});
