// V8 flags a node sets on itself, first thing, so that every way of starting it (npm start,
// `node dist/apps/broker/src/main.js`, the container) runs with them.
//
// The embedded database (PGlite) and the ORM's query compiler are WebAssembly modules of several
// MB. V8 compiles them with its baseline compiler, then recompiles each function that has run
// for a "tiering budget" with its optimising one, and a start runs enough queries to push
// hundreds of functions over the default budget at once: the main thread then waited on that
// background compilation for 200-450 ms of a 1.6 s start (strace: a futex wait woken by a V8
// worker thread; gone with --liftoff-only). Ten times the budget leaves the start's one-off
// queries on the baseline code (ready in 1.2 s) while what runs all the time, the metadata
// queries of a live node, still gets optimised.
import * as v8 from 'node:v8';

/** V8's default is 1,800,000 (a rough count of bytes executed per function). */
export const WASM_TIERING_BUDGET = 18_000_000;

v8.setFlagsFromString(`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`);
