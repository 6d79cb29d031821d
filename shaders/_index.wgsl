// The element-wise kernels' work layout: an invocation's flat index into a row-major 3-d array, as its
// coordinates.

// (a, b, c) of element `index` of a row-major (·, n1, n2) array: index = (a·n1 + b)·n2 + c.
fn coords3(index: u32, n1: u32, n2: u32) -> vec3<u32> {
  return vec3<u32>(index / (n1 * n2), (index / n2) % n1, index % n2);
}
