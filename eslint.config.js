// Flat config: typescript-eslint's recommended rules, type-aware checks for promises and switches,
// the size limits STYLE.md asks for, and the layer rules of docs/architecture.md.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** Folders of src/ each folder may not import from (docs/architecture.md, "Layers"). */
const forbidden = {
  spec: ["render", "cluster", "core", "forges", "queue", "server", "main"],
  render: ["cluster", "core", "forges", "queue", "server", "main"],
  cluster: ["spec", "render", "core", "forges", "queue", "server", "main"],
  config: ["spec", "render", "cluster", "core", "forges", "queue", "server", "main"],
};

const layerRules = Object.entries(forbidden).map(([folder, folders]) => ({
  files: [`src/${folder}/**/*.ts`],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: folders.map((name) => ({
          group: [`../${name}/*`, `../../${name}/*`, `../${name}/**`, `../../${name}/**`],
          message: `src/${folder} sits below src/${name} (docs/architecture.md, "Layers"): pass what it needs in, or move the shared type down.`,
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
    languageOptions: { sourceType: "commonjs", globals: { require: "readonly", module: "writable", console: "readonly", process: "readonly" } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
