// Lint runs as part of `npm test` (this file lives under test/ because the repository's top level is
// fixed; package.json points eslint at it). Two rules carry the architecture:
//   - the core (src/{events,sketch,stats,windows,detect,baseline,outcomes}) may not use `any`;
//   - the core may not import I/O libraries or the shell folders (no-restricted-imports below), so the
//     functional core / imperative shell split cannot erode one convenient import at a time.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

// src/errors (the error base class every layer throws) is held to the core's rules, so the core may import it
const CORE = [
  "src/events/**",
  "src/sketch/**",
  "src/stats/**",
  "src/windows/**",
  "src/detect/**",
  "src/baseline/**",
  "src/outcomes/**",
  "src/errors/**",
];
const SHELL_FOLDERS = ["kafka", "state", "pipeline", "metrics", "cli", "logging", "demo", "config"];
const IO_MODULES = ["kafkajs", "ioredis", "pino", "prom-client", "@kafkajs/confluent-schema-registry"];
const NODE_IO = ["fs", "fs/promises", "net", "http", "https", "child_process", "tls", "dgram", "readline"];

const coreImportRule = (extraNodeAllowed = []) => [
  "error",
  {
    paths: [
      ...IO_MODULES.map((name) => ({ name, message: "the core is pure: I/O libraries belong in the shell (design §6)" })),
      ...NODE_IO.filter((m) => !extraNodeAllowed.includes(m)).flatMap((m) => [
        { name: m, message: "the core does no I/O (design §6)" },
        { name: `node:${m}`, message: "the core does no I/O (design §6)" },
      ]),
    ],
    patterns: [
      {
        group: SHELL_FOLDERS.flatMap((f) => [`../${f}/*`, `../../${f}/*`, `**/src/${f}/*`]),
        message: "the core may not depend on the shell (kafka, state, pipeline, metrics, cli, logging, demo, config)",
      },
    ],
  },
];

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "deploy/local/.cache/**", "deploy/examples/**/vendor/**", ".stack/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        Buffer: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        setImmediate: "readonly",
        URL: "readonly",
        TextEncoder: "readonly",
        TextDecoder: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  {
    files: [...CORE, "src/config/**"],
    rules: { "@typescript-eslint/no-explicit-any": "error" },
  },
  {
    files: CORE,
    rules: { "no-restricted-imports": coreImportRule() },
  },
  {
    // The contracts are files in schemas/ (the single source of truth), read once at load like code.
    files: ["src/events/schema-files.ts"],
    rules: { "no-restricted-imports": coreImportRule(["fs"]) },
  },
  {
    files: ["test/**"],
    rules: { "@typescript-eslint/no-explicit-any": "off", "@typescript-eslint/no-non-null-assertion": "off" },
  },
);
