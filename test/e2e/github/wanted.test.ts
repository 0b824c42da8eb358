// Previews only where wanted on GitHub: the shared suite (test/e2e/pipeline/wanted.suite.ts).
import { wantedSuite } from "../pipeline/wanted.suite.js";

wantedSuite("github");
