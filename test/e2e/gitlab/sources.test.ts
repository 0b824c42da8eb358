// Boxes from other repositories on GitLab: the shared suite (test/e2e/pipeline/sources.suite.ts).
import { sourcesSuite } from "../pipeline/sources.suite.js";

sourcesSuite("gitlab");
