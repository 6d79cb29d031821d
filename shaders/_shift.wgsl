// Circular convolution (NTM paper §3.3.2, eq. 8): w̃(i) = Σ_o w_g(i − o mod N) · s(o). The float64 twin
// is src/reference/addressing.ts, shiftForward. The including shader declares `override N: u32`.

// i mod N for any integer i (the memory rows are a ring).
fn wrap(i: i32) -> u32 {
  let n = i32(N);
  return u32(((i % n) + n) % n);
}

// The row that shift offset o moves into row i: w̃(i) takes w_g(i − o) · s(o).
fn shift_source(i: i32, o: i32) -> u32 {
  return wrap(i - o);
}
