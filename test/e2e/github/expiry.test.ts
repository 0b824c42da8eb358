// Idle previews on GitHub: the shared suite (test/pipeline/expiry.suite.ts).
import { expirySuite } from "../pipeline/expiry.suite.js";

expirySuite("github");
