/**
 * The demo server's answers without a browser: the shipped models' index, a model file, 404 for an unknown
 * path and 400 (no stack trace) for a malformed percent-encoding.
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
