import assert from "node:assert/strict";
import { decodeSafetensors, encodeSafetensors, type NamedSafetensorsTensor } from "../src/io/safetensors.ts";

/** Bytes of a safetensors file with the given header object (padded with spaces) and `dataLength` zero bytes. */
function build(header: unknown, dataLength: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const n = Math.ceil(json.length / 8) * 8;
  const bytes = new Uint8Array(8 + n + dataLength);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(n), true);
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.length, 8 + n);
  return bytes;
}

function bitsOf(data: Float32Array | Float64Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

Deno.test("encodeSafetensors() writes a small file byte for byte", () => {
  const bytes = encodeSafetensors(
    [
      { name: "a", dtype: "F32", shape: [2], data: new Float32Array([1, -2]) },
      { name: "b", dtype: "F64", shape: [], data: new Float64Array([0.5]) },
    ],
    { k: "v" },
  );
  // The header JSON, 54 + 53 + 25 = 132 bytes:
  //   {"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},      54 bytes
  //   "b":{"dtype":"F64","shape":[],"data_offsets":[8,16]},       53 bytes
  //   "__metadata__":{"k":"v"}}                                   25 bytes
  // padded with 4 spaces to 136 = 0x88, a multiple of 8. Then 8 bytes of a and 8 of b: 8 + 136 + 16 = 160 bytes.
  const json = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
    '"b":{"dtype":"F64","shape":[],"data_offsets":[8,16]},' +
    '"__metadata__":{"k":"v"}}';
  assert.equal(json.length, 132);
  assert.equal(bytes.length, 160);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x88, 0, 0, 0, 0, 0, 0, 0]); // u64 little-endian 136
  assert.equal(new TextDecoder().decode(bytes.subarray(8, 144)), json + "    ");
  assert.deepEqual(
    [...bytes.subarray(144)],
    [
      ...[0x00, 0x00, 0x80, 0x3f], // 1.0f  = 0x3f800000, little-endian
      ...[0x00, 0x00, 0x00, 0xc0], // -2.0f = 0xc0000000
      ...[0, 0, 0, 0, 0, 0, 0xe0, 0x3f], // 0.5 = 0x3fe0000000000000
    ],
  );
});

Deno.test("encodeSafetensors() pads the header to a multiple of 8 and omits absent metadata", () => {
  // {"x":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}} is 54 bytes → 2 spaces of padding.
  const bytes = encodeSafetensors([{ name: "x", dtype: "F32", shape: [0], data: new Float32Array(0) }]);
  assert.equal(bytes[0], 56);
  assert.equal(bytes.length, 8 + 56);
  assert.ok(!new TextDecoder().decode(bytes).includes("__metadata__"));
  const decoded = decodeSafetensors(bytes);
  assert.deepEqual(decoded.metadata, {});
  assert.equal(decoded.tensors.get("x")!.data.length, 0);
});

Deno.test("decodeSafetensors() round-trips tensors, values bit for bit, and metadata", () => {
  const tensors: NamedSafetensorsTensor[] = [
    { name: "lstm.W", dtype: "F32", shape: [2, 3], data: new Float32Array([1, -2, 3.5, 1e-40, -0, NaN]) },
    { name: "odd", dtype: "F32", shape: [1], data: new Float32Array([Infinity]) }, // leaves F64 data unaligned
    {
      name: "optim.adam.m",
      dtype: "F64",
      shape: [4],
      data: new Float64Array([Math.PI, -Infinity, 5e-324, 0.1]),
    },
    { name: "scalar", dtype: "F64", shape: [], data: new Float64Array([42]) },
    { name: "empty", dtype: "F64", shape: [3, 0], data: new Float64Array(0) },
    { name: "0", dtype: "F32", shape: [1, 1, 1], data: new Float32Array([7]) },
  ];
  const metadata = { format: "ntm", "config": '{"memoryN":128}', "ünïcode": "✓" };
  const bytes = encodeSafetensors(tensors, metadata);
  const decoded = decodeSafetensors(bytes, "ckpt.safetensors");
  assert.deepEqual(decoded.metadata, metadata);
  // Storage order, even for the name "0" that a JS object would move to the front.
  assert.deepEqual([...decoded.tensors.keys()], tensors.map((t) => t.name));
  for (const t of tensors) {
    const got = decoded.tensors.get(t.name)!;
    assert.equal(got.dtype, t.dtype, t.name);
    assert.deepEqual(got.shape, t.shape, t.name);
    assert.equal(got.data.constructor, t.data.constructor, t.name);
    assert.deepEqual(bitsOf(got.data), bitsOf(t.data), t.name);
  }
});

Deno.test("decodeSafetensors() copies the data out of unaligned input", () => {
  const inner = encodeSafetensors([{
    name: "w",
    dtype: "F64",
    shape: [2],
    data: new Float64Array([1.5, -2.5]),
  }]);
  const outer = new Uint8Array(inner.length + 3);
  outer.set(inner, 3);
  const bytes = outer.subarray(3); // byteOffset 3: a Float64Array cannot view this memory
  const w = decodeSafetensors(bytes).tensors.get("w")!;
  assert.deepEqual(w.data, new Float64Array([1.5, -2.5]));
  outer.fill(0);
  assert.deepEqual(w.data, new Float64Array([1.5, -2.5]), "the tensor must not alias the input");
});

Deno.test("decodeSafetensors() accepts a header listed out of storage order", () => {
  const bytes = build({
    b: { dtype: "F32", shape: [1], data_offsets: [4, 8] },
    a: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
  }, 8);
  assert.deepEqual([...decodeSafetensors(bytes).tensors.keys()], ["a", "b"]);
});

Deno.test("decodeSafetensors() rejects truncated and corrupt files, naming the source", async (t) => {
  const good = encodeSafetensors([
    { name: "a", dtype: "F32", shape: [2], data: new Float32Array([1, -2]) },
    { name: "b", dtype: "F64", shape: [], data: new Float64Array([0.5]) },
  ]);
  const read = (bytes: Uint8Array) => () => decodeSafetensors(bytes, "run/ckpt.safetensors");

  await t.step("shorter than the 8-byte length", () => {
    assert.throws(
      read(good.slice(0, 5)),
      new RangeError(
        "Cannot read run/ckpt.safetensors: the file is truncated: 5 bytes is shorter than the 8-byte header length",
      ),
    );
    assert.throws(
      () => decodeSafetensors(new Uint8Array(0)),
      /Cannot read safetensors data: the file is truncated/,
    );
  });
  await t.step("header length past the end", () => {
    const n = Number(new DataView(good.buffer).getBigUint64(0, true));
    assert.throws(
      read(good.slice(0, 8 + n - 1)),
      new RangeError(
        `Cannot read run/ckpt.safetensors: the file is truncated: the header length ${n} runs past the end of ` +
          `the file (${n - 1} bytes after the length)`,
      ),
    );
    const huge = good.slice();
    new DataView(huge.buffer).setBigUint64(0, 2n ** 63n, true);
    assert.throws(read(huge), RangeError);
  });
  await t.step("data offsets past the end", () => {
    assert.throws(
      read(good.slice(0, good.length - 4)),
      new RangeError(
        'Cannot read run/ckpt.safetensors: tensor "b" has data_offsets [8, 16] past the end of the data ' +
          "(12 bytes): the file is truncated",
      ),
    );
  });
  await t.step("header not JSON", () => {
    const bytes = good.slice();
    bytes[8] = "[".charCodeAt(0);
    assert.throws(
      read(bytes),
      /^Error: Cannot read run\/ckpt\.safetensors: the header is not valid UTF-8 JSON/,
    );
    const notUtf8 = good.slice();
    notUtf8[12] = 0xff;
    assert.throws(read(notUtf8), /the header is not valid UTF-8 JSON/);
    assert.throws(read(build([1, 2], 0)), /the header must be a JSON object, got \[1,2\]/);
  });
  await t.step("unknown dtype", () => {
    assert.throws(
      read(build({ w: { dtype: "BF16", shape: [2], data_offsets: [0, 4] } }, 4)),
      new Error(
        'Cannot read run/ckpt.safetensors: tensor "w" has dtype "BF16"; only "F32" and "F64" are supported',
      ),
    );
  });
  await t.step("shape that does not match the offsets", () => {
    assert.throws(
      read(build({ w: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, 8)),
      new RangeError(
        'Cannot read run/ckpt.safetensors: tensor "w" has shape [3] of F32 (12 bytes) but data_offsets [0, 8] ' +
          "span 8 bytes",
      ),
    );
    assert.throws(
      read(build({ w: { dtype: "F64", shape: [-1], data_offsets: [0, 8] } }, 8)),
      /shape of non-negative/,
    );
    assert.throws(
      read(build({ w: { dtype: "F64", shape: [1], data_offsets: [0] } }, 8)),
      /data_offsets \[begin, end\]/,
    );
    assert.throws(read(build({ w: { dtype: "F64", shape: [1] } }, 8)), /data_offsets \[begin, end\]/);
  });
  await t.step("overlapping offsets", () => {
    assert.throws(
      read(build({
        a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
        b: { dtype: "F32", shape: [2], data_offsets: [4, 12] },
      }, 12)),
      new RangeError(
        'Cannot read run/ckpt.safetensors: tensor "b" at data_offsets [4, 12] overlaps tensor "a", which ends at 8',
      ),
    );
  });
  await t.step("out-of-order offsets", () => {
    assert.throws(
      read(build({ a: { dtype: "F32", shape: [0], data_offsets: [8, 0] } }, 8)),
      new RangeError(
        'Cannot read run/ckpt.safetensors: tensor "a" has data_offsets [8, 0] that run backwards',
      ),
    );
  });
  await t.step("gaps and trailing bytes", () => {
    assert.throws(
      read(build({
        a: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
        b: { dtype: "F32", shape: [1], data_offsets: [8, 12] },
      }, 12)),
      /tensor "b" begins at 8 but tensor "a" ends at 4: the offsets leave a gap/,
    );
    assert.throws(
      read(build({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, 8)),
      /the data is 8 bytes but the tensors cover only 4: 4 trailing bytes/,
    );
  });
  await t.step("metadata that is not strings", () => {
    assert.throws(read(build({ __metadata__: { step: 3 } }, 0)), /metadata "step" must be a string, got 3/);
    assert.throws(read(build({ __metadata__: ["x"] }, 0)), /"__metadata__" must be an object of strings/);
  });
});

Deno.test("encodeSafetensors() rejects tensors that do not describe themselves", () => {
  const f32 = (n: number) => new Float32Array(n);
  assert.throws(
    () => encodeSafetensors([{ name: "w", dtype: "F32", shape: [2, 3], data: f32(5) }]),
    new RangeError('Cannot encode safetensors: tensor "w" has shape [2,3] (6 values) but 5 values'),
  );
  assert.throws(
    () =>
      encodeSafetensors([{ name: "w", dtype: "F64", shape: [2], data: f32(2) as unknown as Float64Array }]),
    new TypeError(
      'Cannot encode safetensors: tensor "w" has dtype F64, so its data must be a Float64Array, got Float32Array',
    ),
  );
  assert.throws(
    () => encodeSafetensors([{ name: "w", dtype: "F16" as "F32", shape: [2], data: f32(2) }]),
    /tensor "w" has dtype "F16", expected "F32" or "F64"/,
  );
  assert.throws(
    () => encodeSafetensors([{ name: "w", dtype: "F32", shape: [1.5], data: f32(2) }]),
    /shape of non-negative integers, got \[1.5\]/,
  );
  assert.throws(
    () =>
      encodeSafetensors([
        { name: "w", dtype: "F32", shape: [1], data: f32(1) },
        { name: "w", dtype: "F32", shape: [1], data: f32(1) },
      ]),
    new TypeError('Cannot encode safetensors: tensor name "w" is used twice'),
  );
  assert.throws(
    () => encodeSafetensors([{ name: "__metadata__", dtype: "F32", shape: [1], data: f32(1) }]),
    /tensor names must be non-empty strings other than "__metadata__"/,
  );
  assert.throws(
    () => encodeSafetensors([], { step: 3 as unknown as string }),
    new TypeError('Cannot encode safetensors: metadata "step" must be a string, got number'),
  );
});
