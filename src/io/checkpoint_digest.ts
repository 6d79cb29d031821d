/**
 * What a checkpoint's `config.json` records of its other files and how they are checked against it: the
 * file names, each file's SHA-256 and size, and the check of bytes against the record. Free of file-system
 * access, so a web page can check the files it fetched (see `checkpoint_parse.ts`).
 *
 * @module
 */

/** The names of a checkpoint's files inside its directory. */
export const CHECKPOINT_FILES: {
  readonly model: "model.safetensors";
  readonly optimizer: "optimizer.safetensors";
  readonly config: "config.json";
} = Object.freeze({
  model: "model.safetensors",
  optimizer: "optimizer.safetensors",
  config: "config.json",
});

/** The largest `config.json` a checkpoint may have (it holds options and progress, a few KiB). */
export const MAX_CONFIG_BYTES = 1 << 20;

/** What `config.json` records of each other file: its SHA-256 (hex) and size. */
export interface FileDigest {
  /** SHA-256 of the file's bytes, lower-case hex. */
  readonly sha256: string;
  /** The file's size in bytes. */
  readonly bytes: number;
}

/** A file could not be read or committed; the message names it. */
export class CheckpointFileError extends Error {
  /**
   * Creates the error.
   *
   * @param message What failed, naming the file.
   * @param options The cause.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CheckpointFileError";
  }
}

/**
 * SHA-256 of bytes, as lower-case hex.
 *
 * @param bytes The bytes.
 * @returns 64 hex digits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256Hex } from "./checkpoint_digest.ts";
 * assert((await sha256Hex(new Uint8Array())).startsWith("e3b0c442"));
 * ```
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The digest `config.json` records of a file's bytes.
 *
 * @param bytes The file's bytes.
 * @returns Its SHA-256 and size.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fileDigest } from "./checkpoint_digest.ts";
 * assert((await fileDigest(new Uint8Array([1, 2]))).bytes === 2);
 * ```
 */
export async function fileDigest(bytes: Uint8Array): Promise<FileDigest> {
  return { sha256: await sha256Hex(bytes), bytes: bytes.length };
}

/**
 * Checks a file's bytes against the digest `config.json` recorded.
 *
 * @param bytes The bytes read.
 * @param digest The recorded digest (`undefined` for checkpoints written before digests were recorded).
 * @param path The file, for the message.
 * @param configPath The `config.json`, for the message.
 * @throws {CheckpointFileError} when size or hash differ.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const bytes = new Uint8Array([1, 2, 3]);
 * const digest = await fileDigest(bytes);
 * await checkDigest(bytes, digest, "x/model.safetensors", "x/config.json");
 * await assert.rejects(checkDigest(new Uint8Array([1, 2, 4]), digest, "x/model.safetensors", "x/config.json"));
 * ```
 */
export async function checkDigest(
  bytes: Uint8Array,
  digest: FileDigest | undefined,
  path: string,
  configPath: string,
): Promise<void> {
  if (digest === undefined) return;
  if (bytes.length !== digest.bytes || (await sha256Hex(bytes)) !== digest.sha256) {
    throw new CheckpointFileError(
      `Cannot read ${path}: its content (${bytes.length} bytes) does not match the SHA-256 that ${configPath} ` +
        `records for it (${digest.bytes} bytes); the file is corrupt or from another save`,
    );
  }
}

/**
 * The digests a `config.json` records in its `files` field, by file name (`null` when it has none or is
 * not a JSON object).
 *
 * @param config The bytes of a `config.json`.
 * @returns The digests, or `null`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recordedDigests } from "./checkpoint_digest.ts";
 * const sha256 = "ab".repeat(32);
 * const text = JSON.stringify({ files: { "model.safetensors": { sha256, bytes: 3 } } });
 * assert.equal(recordedDigests(new TextEncoder().encode(text))?.get("model.safetensors")?.bytes, 3);
 * const bad = JSON.stringify({ files: { "model.safetensors": { sha256: "ab", bytes: 3 } } });
 * assert.equal(recordedDigests(new TextEncoder().encode(bad)), null);
 * ```
 */
export function recordedDigests(config: Uint8Array): Map<string, FileDigest> | null {
  let root: unknown;
  try {
    root = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(config));
  } catch {
    return null;
  }
  const files = (root as { files?: unknown } | null)?.files;
  if (typeof files !== "object" || files === null || Array.isArray(files)) return null;
  const out = new Map<string, FileDigest>();
  for (const [name, value] of Object.entries(files)) {
    const d = value as Partial<FileDigest> | null;
    if (
      !Object.values(CHECKPOINT_FILES).includes(name as never) || name === CHECKPOINT_FILES.config ||
      typeof d?.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(d.sha256) ||
      typeof d.bytes !== "number" || !Number.isSafeInteger(d.bytes) || d.bytes < 0
    ) return null;
    out.set(name, { sha256: d.sha256, bytes: d.bytes });
  }
  return out;
}
