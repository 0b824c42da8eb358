// Pull requests of one branch in several repositories on GitHub: the shared suite (test/e2e/pipeline/groups.suite.ts).
import { groupsSuite } from "../pipeline/groups.suite.js";

groupsSuite("github");
