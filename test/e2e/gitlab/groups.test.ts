// Pull requests of one branch in several repositories on GitLab: the shared suite (test/e2e/pipeline/groups.suite.ts).
import { groupsSuite } from "../pipeline/groups.suite.js";

groupsSuite("gitlab");
