// Idle merge requests' previews on GitLab: the shared suite (test/pipeline/expiry.suite.ts).
import { expirySuite } from "../pipeline/expiry.suite.js";

expirySuite("gitlab");
