// The resync on GitHub: the shared suite (test/pipeline/resync.suite.ts).
import { resyncSuite } from "../pipeline/resync.suite.js";

resyncSuite("github");
