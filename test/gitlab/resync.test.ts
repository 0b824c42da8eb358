// The resync on GitLab: the shared suite (test/pipeline/resync.suite.ts).
import { resyncSuite } from "../pipeline/resync.suite.js";

resyncSuite("gitlab");
