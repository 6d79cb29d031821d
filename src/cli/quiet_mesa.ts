/**
 * Keeps Mesa's Vulkan driver quiet in a plain shell. Without `XDG_RUNTIME_DIR`, the Wayland client library
 * that Mesa's window-system code loads prints `error: XDG_RUNTIME_DIR is invalid or not set in the
 * environment.` each time WebGPU enumerates adapters, although no window is ever opened. Pointing
 * `WAYLAND_DISPLAY` at an absolute path that does not exist makes that library skip the variable and fail
 * quietly; nothing else changes (no Wayland session can be reached without `XDG_RUNTIME_DIR` anyway). Only
 * this process and its children are affected, and only when the user set neither variable.
 *
 * @module
 */

/** The absolute (and absent) Wayland socket used when the environment names none. */
const NO_WAYLAND_SOCKET = "/nonexistent/ntm-no-wayland";

/**
 * Sets `WAYLAND_DISPLAY` to an absent absolute socket when neither `XDG_RUNTIME_DIR` nor `WAYLAND_DISPLAY` is
 * set. Call it before the first `navigator.gpu.requestAdapter()`. A process without access to those two
 * variables (a command that never touches WebGPU, run without `--allow-env`) is left alone.
 *
 * @returns Whether the environment was changed.
 *
 * @example
 * ```ts
 * import { strict as assert } from "node:assert";
 * const had = Deno.env.get("XDG_RUNTIME_DIR") || Deno.env.get("WAYLAND_DISPLAY");
 * assert.equal(quietMesa(), !had);
 * assert.ok(Deno.env.get("XDG_RUNTIME_DIR") || Deno.env.get("WAYLAND_DISPLAY"));
 * ```
 */
export function quietMesa(): boolean {
  const granted = (variable: string) =>
    Deno.permissions.querySync({ name: "env", variable }).state === "granted";
  if (!granted("XDG_RUNTIME_DIR") || !granted("WAYLAND_DISPLAY")) return false;
  if (Deno.env.get("XDG_RUNTIME_DIR") || Deno.env.get("WAYLAND_DISPLAY")) return false;
  Deno.env.set("WAYLAND_DISPLAY", NO_WAYLAND_SOCKET);
  return true;
}
