// Previews that cannot be deployed, on GitHub: the shared suite (test/pipeline/failures.suite.ts).
import { failuresSuite } from "../pipeline/failures.suite.js";

failuresSuite("github");
