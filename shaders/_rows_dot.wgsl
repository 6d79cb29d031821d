// Four rows of a weight matrix times the workgroup's input vector, the inner loop of the controller's
// mat-vecs. The including shader binds `params: array<f32>`, includes `_matvec.wgsl` and declares
// `var<workgroup> z: array<vec4<f32>, …>` holding the input, zero-padded to a multiple of four.

// (W·z) of the four rows that start at params[rows.x], …, params[rows.w], over `width` inputs.
fn rows_dot_z(rows: vec4<u32>, width: u32) -> vec4<f32> {
  var acc = vec4<f32>(0.0);
  let full = width / 4u;
  for (var k4 = 0u; k4 < full; k4++) {
    let zk = z[k4];
    let k = 4u * k4;
    acc += vec4<f32>(
      dot(zk, weights4(rows.x + k)),
      dot(zk, weights4(rows.y + k)),
      dot(zk, weights4(rows.z + k)),
      dot(zk, weights4(rows.w + k)),
    );
  }
  for (var k = 4u * full; k < width; k++) {
    acc += z[k / 4u][k % 4u] * weights_at(k, rows);
  }
  return acc;
}
