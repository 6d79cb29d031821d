// The NTM's float32 WebAssembly SIMD kernels, one file per op family, each op named as its WGSL entry point
// (shaders/) and its float64 twin (src/reference/, src/optim/). Every buffer is float32 in the imported
// linear memory, passed by byte offset; src/wasm/ lays the buffers out and runs the ops in order.

export * from "./controller";
export * from "./head_params";
export * from "./addressing";
export * from "./memory";
export * from "./output";
export * from "./optimizers";
export * from "./buffers";
