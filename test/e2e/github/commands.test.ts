// Commands in PR comments on GitHub: the shared suite (test/pipeline/commands.suite.ts).
import { commandsSuite } from "../pipeline/commands.suite.js";

commandsSuite("github");
