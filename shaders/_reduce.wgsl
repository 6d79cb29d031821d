// Tree reductions over one workgroup. The including shader declares `override WORKGROUP: u32` (a power of
// two) and `var<workgroup> scratch: array<f32, WORKGROUP>`; every invocation of the workgroup must call.

// Σ of `value` over the workgroup, returned to every invocation.
fn workgroup_sum(lid: u32, value: f32) -> f32 {
  scratch[lid] = value;
  workgroupBarrier();
  for (var stride = WORKGROUP / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { scratch[lid] += scratch[lid + stride]; }
    workgroupBarrier();
  }
  let total = scratch[0];
  workgroupBarrier();
  return total;
}

// max of `value` over the workgroup, returned to every invocation.
fn workgroup_max(lid: u32, value: f32) -> f32 {
  scratch[lid] = value;
  workgroupBarrier();
  for (var stride = WORKGROUP / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { scratch[lid] = max(scratch[lid], scratch[lid + stride]); }
    workgroupBarrier();
  }
  let total = scratch[0];
  workgroupBarrier();
  return total;
}
