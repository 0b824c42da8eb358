// The cap on live environments as an atomic claim in the real Redis: concurrent workers, each on
// its own connection as separate processes would be, never hold more slots than the cap.
import { describe, expect, it } from "vitest";
import { harness } from "./support.js";

describe("the live-environment slots", () => {
  it("grants exactly 3 of 20 concurrent claims against a cap of 3, and a released slot to the next claim", async () => {
    const h = await harness();
    const stores = await Promise.all(Array.from({ length: 20 }, () => h.anotherStore()));
    const answers = await Promise.all(stores.map((store, i) => store.claimSlot(`env-${i}`, 3, false)));
    const granted = answers.flatMap((answer, i) => (answer.claimed ? [`env-${i}`] : []));
    expect(granted).toHaveLength(3);
    expect(Math.max(...answers.map((a) => a.live))).toBe(3);
    expect((await h.redis.smembers(`${h.prefix}:live`)).sort()).toEqual([...granted].sort());

    // A holder claiming again keeps its slot; a refused one stays refused while the cap is reached.
    expect(await h.store.claimSlot(granted[0] ?? "", 3, false)).toEqual({ claimed: true, live: 3 });
    const refused = answers.findIndex((a) => !a.claimed);
    expect(await h.store.claimSlot(`env-${refused}`, 3, false)).toEqual({ claimed: false, live: 3 });

    await h.store.releaseSlot(granted[1] ?? "");
    expect(await h.store.claimSlot(`env-${refused}`, 3, false)).toEqual({ claimed: true, live: 3 });
  });

  it("keeps the slot of an environment already live, even above a lowered cap", async () => {
    const h = await harness();
    for (const id of ["a", "b", "c"]) expect((await h.store.claimSlot(id, 3, false)).claimed).toBe(true);
    // Deployed before the cap existed (or before this version): it is counted, not refused.
    expect(await h.store.claimSlot("live-before", 3, true)).toEqual({ claimed: true, live: 4 });
    expect(await h.store.claimSlot("new", 3, false)).toEqual({ claimed: false, live: 4 });
  });
});
