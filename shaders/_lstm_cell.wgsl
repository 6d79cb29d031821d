// The LSTM cell of one unit (docs/model.md, the controller): from the gates' pre-activations a = (a_i, a_f,
// a_o, a_g), i, f, o = σ(a_i, a_f, a_o), g = tanh(a_g), c_t = f·c_{t−1} + i·g, h_t = o·tanh(c_t); and its
// backward. The float64 twins are src/reference/controller.ts, lstmForward and lstmBackward. Needs
// _activations.wgsl.

struct LstmCell {
  gates: vec4<f32>,   // (i, f, o, g)
  c: f32,             // c_t
  h: f32,             // h_t
}

fn lstm_cell_forward(a: vec4<f32>, c_prev: f32) -> LstmCell {
  let i = sigmoid(a.x);
  let f = sigmoid(a.y);
  let o = sigmoid(a.z);
  let g = tanh_stable(a.w);
  let c = f * c_prev + i * g;
  return LstmCell(vec4<f32>(i, f, o, g), c, o * tanh_stable(c));
}

struct LstmCellGradient {
  d_preact: vec4<f32>,  // ∂(a_i, a_f, a_o, a_g)
  d_c_prev: f32,        // ∂c_{t−1}
}

// With dh = ∂h_t and dc_next = ∂c_t through step t + 1: dc = dc_next + dh·o·(1 − tanh²c_t),
// da_i = dc·g·i(1−i), da_f = dc·c_{t−1}·f(1−f), da_o = dh·tanh(c_t)·o(1−o), da_g = dc·i·(1−g²), ∂c_{t−1} = dc·f.
fn lstm_cell_backward(gates: vec4<f32>, c: f32, c_prev: f32, dh: f32, dc_next: f32) -> LstmCellGradient {
  let i = gates.x;
  let f = gates.y;
  let o = gates.z;
  let g = gates.w;
  let tanh_c = tanh_stable(c);
  let dc = dc_next + dh * o * (1.0 - tanh_c * tanh_c);
  let da = vec4<f32>(
    dc * g * i * (1.0 - i),
    dc * c_prev * f * (1.0 - f),
    dh * tanh_c * o * (1.0 - o),
    dc * i * (1.0 - g * g),
  );
  return LstmCellGradient(da, dc * f);
}
