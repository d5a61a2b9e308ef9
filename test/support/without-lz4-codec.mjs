// Preloaded into a service process (NODE_OPTIONS=--import) by test/integration/service-compression.test.ts:
// pins kafkajs' LZ4 entry to its built-in "not implemented" thrower, so the service's codec registration
// has no effect and an LZ4 batch is a fetch the client cannot decode — the crash this test needs.
import kafkajs from "kafkajs";

const { CompressionCodecs, CompressionTypes } = kafkajs;
const notImplemented = CompressionCodecs[CompressionTypes.LZ4];
Object.defineProperty(CompressionCodecs, CompressionTypes.LZ4, { get: () => notImplemented, set: () => {}, configurable: false });
