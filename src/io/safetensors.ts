/**
 * Reading and writing the safetensors format (Hugging Face) for float32 and float64 tensors.
 *
 * Layout: an 8-byte little-endian unsigned length N; N bytes of UTF-8 JSON, padded with spaces to a multiple
 * of 8, mapping each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}` plus an optional
 * `"__metadata__"` object of strings; then the data, each tensor's values little-endian and row-major at
 * `[begin, end)` relative to the start of the data. Tensors tile the data exactly: no gaps, no overlaps.
 *
 * @module
 */

/** The element types this package reads and writes. */
export type SafetensorsDtype = "F32" | "F64";

/** One tensor: its element type, shape and values (row-major). */
export type SafetensorsTensor =
  | { readonly dtype: "F32"; readonly shape: readonly number[]; readonly data: Float32Array }
  | { readonly dtype: "F64"; readonly shape: readonly number[]; readonly data: Float64Array };

/** One tensor to write: a {@linkcode SafetensorsTensor} with its name. */
export type NamedSafetensorsTensor = SafetensorsTensor & { readonly name: string };

/** What {@linkcode decodeSafetensors} returns. */
export interface DecodedSafetensors {
  /** The tensors by name, in the order their data is stored. */
  readonly tensors: Map<string, SafetensorsTensor>;
  /** The `__metadata__` strings (empty if the file has none). */
  readonly metadata: Record<string, string>;
}

const BYTES_PER_ELEMENT: Readonly<Record<SafetensorsDtype, number>> = { F32: 4, F64: 8 };
const METADATA_KEY = "__metadata__";
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Encodes tensors (and optional metadata) as a safetensors file. Tensors are stored one after another in the
 * order given; the header lists them in that order, `__metadata__` last.
 *
 * @param tensors The tensors, with distinct non-empty names; `data.length` must equal the product of `shape`
 *   (1 for the scalar shape `[]`), and `data` must be a `Float32Array` for `F32`, a `Float64Array` for `F64`.
 * @param metadata Free-form string pairs for the `__metadata__` entry (omitted from the header when absent).
 * @returns The file's bytes.
 * @throws {TypeError} For a bad name, dtype, data array or metadata value.
 * @throws {RangeError} For a bad shape or a shape that does not match the data.
 *
 * @example Encode and decode a weight matrix
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";
 * const bytes = encodeSafetensors(
 *   [{ name: "W", dtype: "F32", shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) }],
 *   { step: "100" },
 * );
 * const { tensors, metadata } = decodeSafetensors(bytes);
 * assert(tensors.get("W")!.data[5] === 6 && metadata.step === "100");
 * ```
 */
export function encodeSafetensors(
  tensors: readonly NamedSafetensorsTensor[],
  metadata?: Record<string, string>,
): Uint8Array {
  const where = "Cannot encode safetensors";
  if (!Array.isArray(tensors)) {
    throw new TypeError(`${where}: tensors must be an array, got ${typeof tensors}`);
  }
  const header: [string, unknown][] = [];
  const names = new Set<string>();
  let offset = 0;
  for (const tensor of tensors) {
    const { name, dtype, shape, data } = tensor;
    if (typeof name !== "string" || name === "" || name === METADATA_KEY) {
      throw new TypeError(
        `${where}: tensor names must be non-empty strings other than "${METADATA_KEY}", got ${
          JSON.stringify(name)
        }`,
      );
    }
    if (names.has(name)) throw new TypeError(`${where}: tensor name "${name}" is used twice`);
    names.add(name);
    if (dtype !== "F32" && dtype !== "F64") {
      throw new TypeError(
        `${where}: tensor "${name}" has dtype ${JSON.stringify(dtype)}, expected "F32" or "F64"`,
      );
    }
    const expectedArray = dtype === "F32" ? Float32Array : Float64Array;
    if (!(data instanceof expectedArray)) {
      const got = (data as unknown as object)?.constructor?.name ?? typeof data;
      throw new TypeError(
        `${where}: tensor "${name}" has dtype ${dtype}, so its data must be a ${expectedArray.name}, got ${got}`,
      );
    }
    const count = elementCount(shape);
    if (count === undefined) {
      throw new RangeError(
        `${where}: tensor "${name}" must have a shape of non-negative integers, got ${JSON.stringify(shape)}`,
      );
    }
    if (count !== data.length) {
      throw new RangeError(
        `${where}: tensor "${name}" has shape ${
          JSON.stringify(shape)
        } (${count} values) but ${data.length} values`,
      );
    }
    const end = offset + data.byteLength;
    header.push([name, { dtype, shape: [...shape], data_offsets: [offset, end] }]);
    offset = end;
  }
  if (metadata !== undefined) {
    if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
      throw new TypeError(`${where}: metadata must be an object of strings, got ${JSON.stringify(metadata)}`);
    }
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== "string") {
        throw new TypeError(`${where}: metadata "${key}" must be a string, got ${typeof value}`);
      }
    }
    header.push([METADATA_KEY, { ...metadata }]);
  }

  const json = new TextEncoder().encode(JSON.stringify(Object.fromEntries(header)));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const bytes = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.length, 8 + headerLength); // pad with spaces
  let at = 8 + headerLength;
  for (const { data } of tensors) {
    if (LITTLE_ENDIAN) {
      bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    } else if (data instanceof Float32Array) {
      for (let i = 0; i < data.length; i++) view.setFloat32(at + 4 * i, data[i]!, true);
    } else {
      for (let i = 0; i < data.length; i++) view.setFloat64(at + 8 * i, data[i]!, true);
    }
    at += data.byteLength;
  }
  return bytes;
}

/**
 * Decodes a safetensors file of float32 and float64 tensors, checking its structure. The values are copied
 * out into fresh, aligned arrays (nothing aliases `bytes`).
 *
 * @param bytes The file's bytes.
 * @param source What the bytes are, for error messages (a file name, say).
 * @returns The tensors by name, in storage order, and the metadata.
 * @throws {RangeError} For a truncated file (shorter than 8 bytes, a header length or data offsets past the
 *   end), or sizes that do not add up (a shape that does not match its offsets; offsets that overlap, leave
 *   a gap, run backwards or leave trailing bytes).
 * @throws {Error} For a header that is not a JSON object, an unknown dtype or a malformed entry.
 *
 * @example Read a checkpoint's tensors
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";
 * const bytes = encodeSafetensors([{ name: "b", dtype: "F64", shape: [2], data: new Float64Array([0.5, -1]) }]);
 * const b = decodeSafetensors(bytes, "model.safetensors").tensors.get("b")!;
 * assert(b.dtype === "F64" && b.shape[0] === 2 && b.data[1] === -1);
 * ```
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  source: string = "safetensors data",
): DecodedSafetensors {
  const where = `Cannot read ${source}`;
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`${where}: expected a Uint8Array, got ${typeof bytes}`);
  }
  if (bytes.length < 8) {
    throw new RangeError(
      `${where}: the file is truncated: ${bytes.length} bytes is shorter than the 8-byte header length`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) {
    throw new RangeError(
      `${where}: the file is truncated: the header length ${headerLength} runs past the end of the file ` +
        `(${bytes.length - 8} bytes after the length)`,
    );
  }
  const dataStart = 8 + Number(headerLength);
  const dataLength = bytes.length - dataStart;

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (error) {
    throw new Error(`${where}: the header is not valid UTF-8 JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new Error(`${where}: the header must be a JSON object, got ${JSON.stringify(header)}`);
  }

  const { entries, metadata } = headerEntries(header as Record<string, unknown>, where, dataLength);
  checkTiling(entries, where, dataLength);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const entry of entries) tensors.set(entry.name, copyTensor(bytes, dataStart, entry));
  return { tensors, metadata };
}

/** One tensor's header entry: its name, dtype, shape and byte range in the data. */
interface TensorEntry {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: number[];
  readonly begin: number;
  readonly end: number;
}

/** The header's tensor entries, each checked, and its metadata. */
function headerEntries(
  header: Record<string, unknown>,
  where: string,
  dataLength: number,
): { entries: TensorEntry[]; metadata: Record<string, string> } {
  const metadataPairs: [string, string][] = [];
  const entries: TensorEntry[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
        throw new Error(
          `${where}: "${METADATA_KEY}" must be an object of strings, got ${JSON.stringify(entry)}`,
        );
      }
      for (const [key, value] of Object.entries(entry)) {
        if (typeof value !== "string") {
          throw new Error(`${where}: metadata "${key}" must be a string, got ${JSON.stringify(value)}`);
        }
        metadataPairs.push([key, value]);
      }
      continue;
    }
    const what = `${where}: tensor "${name}"`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      throw new Error(`${what} must be described by an object, got ${JSON.stringify(entry)}`);
    }
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (dtype !== "F32" && dtype !== "F64") {
      throw new Error(`${what} has dtype ${JSON.stringify(dtype)}; only "F32" and "F64" are supported`);
    }
    const count = elementCount(shape);
    if (count === undefined) {
      throw new Error(`${what} must have a shape of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    if (
      !Array.isArray(offsets) || offsets.length !== 2 ||
      !offsets.every((x) => Number.isSafeInteger(x) && (x as number) >= 0)
    ) {
      throw new Error(
        `${what} must have data_offsets [begin, end] of two integers ≥ 0, got ${JSON.stringify(offsets)}`,
      );
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) {
      throw new RangeError(`${what} has data_offsets [${begin}, ${end}] that run backwards`);
    }
    if (end > dataLength) {
      throw new RangeError(
        `${what} has data_offsets [${begin}, ${end}] past the end of the data (${dataLength} bytes): ` +
          `the file is truncated`,
      );
    }
    const expected = count * BYTES_PER_ELEMENT[dtype];
    if (end - begin !== expected) {
      throw new RangeError(
        `${what} has shape ${JSON.stringify(shape)} of ${dtype} (${expected} bytes) but data_offsets ` +
          `[${begin}, ${end}] span ${end - begin} bytes`,
      );
    }
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }
  // fromEntries defines own properties, so even a key "__proto__" stays plain data.
  return { entries, metadata: Object.fromEntries(metadataPairs) };
}

/**
 * The tensors must tile the data exactly, as Hugging Face's reader requires: sorted by offset (in place),
 * each begins where the previous ends, and the last ends at the end of the file.
 */
function checkTiling(entries: TensorEntry[], where: string, dataLength: number): void {
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous = "the start of the data";
  for (const { name, begin, end } of entries) {
    if (begin < covered) {
      throw new RangeError(
        `${where}: tensor "${name}" at data_offsets [${begin}, ${end}] overlaps ${previous}, which ends at ${covered}`,
      );
    }
    if (begin > covered) {
      throw new RangeError(
        `${where}: tensor "${name}" begins at ${begin} but ${previous} ends at ${covered}: the offsets leave a gap`,
      );
    }
    covered = end;
    previous = `tensor "${name}"`;
  }
  if (covered !== dataLength) {
    const trailing = dataLength - covered;
    throw new RangeError(
      `${where}: the data is ${dataLength} bytes but the tensors cover only ${covered}: ${trailing} trailing bytes`,
    );
  }
}

/** A tensor's values, copied out of the file into a fresh, aligned array (little-endian on any host). */
function copyTensor(bytes: Uint8Array, dataStart: number, entry: TensorEntry): SafetensorsTensor {
  const { dtype, shape, begin, end } = entry;
  const raw = bytes.slice(dataStart + begin, dataStart + end); // a fresh, aligned copy
  const count = (end - begin) / BYTES_PER_ELEMENT[dtype];
  if (dtype === "F32") {
    const data = new Float32Array(raw.buffer, 0, count);
    if (!LITTLE_ENDIAN) {
      const dv = new DataView(raw.buffer);
      for (let i = 0; i < count; i++) data[i] = dv.getFloat32(4 * i, true);
    }
    return { dtype, shape, data };
  }
  const data = new Float64Array(raw.buffer, 0, count);
  if (!LITTLE_ENDIAN) {
    const dv = new DataView(raw.buffer);
    for (let i = 0; i < count; i++) data[i] = dv.getFloat64(8 * i, true);
  }
  return { dtype, shape, data };
}

/** The number of elements of a shape, or undefined if it is not an array of non-negative integers. */
function elementCount(shape: unknown): number | undefined {
  if (!Array.isArray(shape)) return undefined;
  let count = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) return undefined;
    count *= d;
  }
  return Number.isSafeInteger(count) ? count : undefined;
}
