// Sleeping previews on GitHub: the shared suite (test/pipeline/sleep.suite.ts).
import { sleepSuite } from "../pipeline/sleep.suite.js";

sleepSuite("github");
