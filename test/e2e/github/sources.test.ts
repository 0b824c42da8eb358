// Boxes from other repositories on GitHub: the shared suite (test/e2e/pipeline/sources.suite.ts).
import { sourcesSuite } from "../pipeline/sources.suite.js";

sourcesSuite("github");
