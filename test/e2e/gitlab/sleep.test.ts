// Idle merge requests' previews on GitLab: the shared suite (test/pipeline/sleep.suite.ts).
import { sleepSuite } from "../pipeline/sleep.suite.js";

sleepSuite("gitlab");
