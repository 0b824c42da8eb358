// Flat config: typescript-eslint's recommended rules, type-aware checks for promises and switches,
// the size limits STYLE.md asks for, and the layer rules of docs/architecture.md.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/**
 * What each folder of src/ may not import (docs/architecture.md §2, "Layers"). The engine goes
 * spec → render → cluster; `config/config.ts` composes the settings of every layer, so only the
 * shared definitions beside it (`config/baseline.ts`, `config/durations.ts`) may be imported below it.
 */
const ABOVE_ENGINE = ["core", "forges", "queue", "server", "main"];
const forbidden = {
  spec: ["render", "cluster", ...ABOVE_ENGINE, "config/config.js"],
  render: ["cluster", ...ABOVE_ENGINE, "config/config.js"],
  cluster: [...ABOVE_ENGINE, "config/config.js"],
  config: ["render", "cluster", ...ABOVE_ENGINE],
  // The core decides; it reaches forges, Redis and HTTP only through the interfaces it defines
  // (core/forge.ts, core/events.ts, the stores and queues named in its modules).
  core: ["forges", "queue", "server", "main"],
  forges: ["queue", "server", "main"],
  queue: ["forges", "server", "main"],
  server: ["forges", "main"],
};

const layerRules = Object.entries(forbidden).map(([folder, names]) => ({
  files: [`src/${folder}/**/*.ts`],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: names.map((name) => ({
          group: [`../${name}`, `../../${name}`, `../${name}/**`, `../../${name}/**`],
          message: `src/${folder} sits below ${name} (docs/architecture.md §2): pass what it needs in, or move the shared definition down.`,
        })),
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "coverage/", "fixtures/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      complexity: ["warn", 15],
      "max-depth": ["error", 4],
      "max-params": ["error", 5],
      "no-console": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/only-throw-error": "off",
      "no-throw-literal": "error",
      // A promise nobody awaits loses its rejection (and with it a failure report on the PR).
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/switch-exhaustiveness-check": ["error", { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    // STYLE.md: a file over ~300 lines or a function over ~40 is a smell; these are the hard ceilings.
    files: ["src/**/*.ts"],
    rules: {
      "max-lines": ["error", { max: 300, skipBlankLines: true, skipComments: true }],
      "max-lines-per-function": ["error", { max: 60, skipBlankLines: true, skipComments: true }],
    },
  },
  ...layerRules,
  {
    files: ["bin/**/*.js", "bench/**/*.js", "scripts/**/*.js"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
  },
  {
    files: ["**/*.js", "**/*.cjs", "**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ["**/*.cjs"],
    languageOptions: {
      sourceType: "commonjs",
      globals: { require: "readonly", module: "writable", console: "readonly", process: "readonly" },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
