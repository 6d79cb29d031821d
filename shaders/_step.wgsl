// The step uniform every kernel binds last, with a dynamic offset: `t` is the time step of the dispatch
// (src/gpu/kernel.ts, createStepUniform).
struct Step { t: u32 }
