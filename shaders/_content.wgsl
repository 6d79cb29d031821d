// Content addressing (NTM paper §3.3.1): the cosine similarity K[u, v] = u·v / (‖u‖·‖v‖) of eq. 6, with the
// float64 reference's guard against a zero norm (src/reference/addressing.ts, contentAddressForward).

const COSINE_EPSILON = 1e-8;

// K[k, M(i)] from the dot product and ‖k‖·‖M(i)‖.
fn cosine(dot: f32, denominator: f32) -> f32 {
  return dot / max(denominator, COSINE_EPSILON);
}
