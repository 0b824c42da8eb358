import { inject } from "vitest";

// Every test renders with the pinned helm, whatever else is on this machine's PATH.
process.env.HELM_BIN = inject("helm");
