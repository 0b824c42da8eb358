// Preloaded with `node --import` by test/main/cli-bundle.test.ts: appends the URL of every module
// the process loads (ES modules and require() alike) to the file PRBOX_TEST_LOADS names.
import { appendFileSync } from "node:fs";
import { registerHooks } from "node:module";
import process from "node:process";

const file = process.env.PRBOX_TEST_LOADS;
if (file) {
  registerHooks({
    load(url, context, nextLoad) {
      appendFileSync(file, `${url}\n`);
      return nextLoad(url, context);
    },
  });
}
