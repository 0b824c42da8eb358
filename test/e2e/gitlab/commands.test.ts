// Commands in merge request notes on GitLab: the shared suite (test/pipeline/commands.suite.ts).
import { commandsSuite } from "../pipeline/commands.suite.js";

commandsSuite("gitlab");
