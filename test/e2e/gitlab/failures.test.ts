// Previews that cannot be deployed, on GitLab: the shared suite (test/pipeline/failures.suite.ts).
import { failuresSuite } from "../pipeline/failures.suite.js";

failuresSuite("gitlab");
