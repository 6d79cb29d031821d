// Four weights at once for the vec4 matrix–vector loops. The including shader binds the flat parameters
// as `params: array<f32>`.

// params[at .. at + 3], one row's four consecutive columns.
fn weights4(at: u32) -> vec4<f32> {
  return vec4<f32>(params[at], params[at + 1u], params[at + 2u], params[at + 3u]);
}

// params[row + cols.x], …, params[row + cols.w]: four columns of one row, anywhere in it.
fn weights_at(row: u32, cols: vec4<u32>) -> vec4<f32> {
  return vec4<f32>(params[row + cols.x], params[row + cols.y], params[row + cols.z], params[row + cols.w]);
}
