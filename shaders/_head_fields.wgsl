// The head parameters (NTM paper §3.1–3.3): each head's row of raw controller outputs split into its
// fields, and each field's activation and its derivative. The float64 twin is src/reference/head_params.ts
// (headParamsForward, headParamsBackward), whose field layout this follows: a read head has
// k (M), β, g, s (S), γ; a write head adds e (M), a (M). The including shader declares the overrides
// M, S, R, B, P, READ_WIDTH (M + S + 3) and WRITE_WIDTH (3M + S + 3), includes _activations.wgsl and binds
// the raw parameters as `raw_heads: array<f32>`, (T, B, P).

const FIELD_K = 0u;     // key k, tanh
const FIELD_BETA = 1u;  // key strength β, softplus (eq. 5)
const FIELD_G = 2u;     // interpolation gate g, sigmoid (eq. 7)
const FIELD_S = 3u;     // shift weighting s, softmax over the head's S values (eq. 8)
const FIELD_GAMMA = 4u; // sharpening γ, 1 + softplus (eq. 9)
const FIELD_E = 5u;     // erase vector e, sigmoid (eq. 3)
const FIELD_A = 6u;     // add vector a, tanh (eq. 4)

// Which head's field the raw parameter p (0 ≤ p < P) is: its kind, its index j inside the field, and where
// its head's raw parameters start (base).
struct Field { head: u32, kind: u32, j: u32, base: u32 }

fn field_of(p: u32) -> Field {
  var head: u32;
  var base: u32;
  if (p < R * READ_WIDTH) {
    head = p / READ_WIDTH;
    base = head * READ_WIDTH;
  } else {
    head = R + (p - R * READ_WIDTH) / WRITE_WIDTH;
    base = R * READ_WIDTH + (head - R) * WRITE_WIDTH;
  }
  let f = p - base;
  if (f < M) { return Field(head, FIELD_K, f, base); }
  if (f == M) { return Field(head, FIELD_BETA, 0u, base); }
  if (f == M + 1u) { return Field(head, FIELD_G, 0u, base); }
  if (f < M + S + 2u) { return Field(head, FIELD_S, f - M - 2u, base); }
  if (f == M + S + 2u) { return Field(head, FIELD_GAMMA, 0u, base); }
  if (f < 2u * M + S + 3u) { return Field(head, FIELD_E, f - M - S - 3u, base); }
  return Field(head, FIELD_A, f - 2u * M - S - 3u, base);
}

// Where head h's raw parameters start in a row of P.
fn head_base(h: u32) -> u32 {
  if (h < R) { return h * READ_WIDTH; }
  return R * READ_WIDTH + (h - R) * WRITE_WIDTH;
}

// The activated value of a raw parameter of kind `kind` with value x; for a shift, `softmax` holds the max
// and the Σ exp(· − max) of its head's S raw values.
fn head_activation(kind: u32, x: f32, softmax: vec2<f32>) -> f32 {
  switch (kind) {
    case FIELD_K, FIELD_A: { return tanh_stable(x); }
    case FIELD_BETA: { return softplus(x); }
    case FIELD_G, FIELD_E: { return sigmoid(x); }
    case FIELD_S: { return exp(x - softmax.x) / softmax.y; }
    default: { return 1.0 + softplus(x); }           // FIELD_GAMMA
  }
}

// ∂activation/∂x of every kind but the shift (whose softmax couples the head's S values; its gradient is
// s ⊙ (ds − s·ds), computed by the caller).
fn head_activation_slope(kind: u32, x: f32) -> f32 {
  switch (kind) {
    case FIELD_K, FIELD_A: {
      let y = tanh_stable(x);
      return 1.0 - y * y;
    }
    case FIELD_BETA, FIELD_GAMMA: { return sigmoid(x); }
    default: {                                       // FIELD_G, FIELD_E
      let y = sigmoid(x);
      return y * (1.0 - y);
    }
  }
}

// The raw parameter at `id` = b·P + p of step t's rows (T, B, P): episode b, p, its field, and where its row
// starts in raw_heads.
struct RawParam { b: u32, p: u32, field: Field, row: u32 }

fn raw_param(t: u32, id: u32) -> RawParam {
  let b = id / P;
  let p = id % P;
  return RawParam(b, p, field_of(p), (t * B + b) * P);
}

// Eq. 8's shift softmax of the head whose S raw values start at raw_heads[first]: (max, Σ_o exp(s_o − max)),
// the `softmax` argument of head_activation.
fn shift_softmax(first: u32) -> vec2<f32> {
  var x_max = raw_heads[first];
  for (var o = 1u; o < S; o++) { x_max = max(x_max, raw_heads[first + o]); }
  var sum = 0.0;
  for (var o = 0u; o < S; o++) { sum += exp(raw_heads[first + o] - x_max); }
  return vec2<f32>(x_max, sum);
}

// Raw parameter p (0 ≤ p < P) of the raw_heads row starting at `row`, activated.
fn activated(row: u32, p: u32) -> f32 {
  let field = field_of(p);
  var softmax = vec2<f32>(0.0, 1.0);
  if (field.kind == FIELD_S) { softmax = shift_softmax(row + p - field.j); }
  return head_activation(field.kind, raw_heads[row + p], softmax);
}
