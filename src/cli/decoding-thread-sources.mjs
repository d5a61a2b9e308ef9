// The decoding thread's entry (decoding-thread.ts) when replay runs from the TypeScript sources (the tests,
// DRIFT_DETECTOR_SOURCES=1): the sources through tsx, as bin.js runs them.
import { register } from "tsx/esm/api";

register();
await import("./decoding-thread.ts");
