// Previews only where wanted on GitLab: the shared suite (test/e2e/pipeline/wanted.suite.ts).
import { wantedSuite } from "../pipeline/wanted.suite.js";

wantedSuite("gitlab");
