// A restart that an earlier group member's start implies reaches an unmanaged member too, but
// an unmanaged resource is left as it is and nothing is listed for it (Pacemaker 2.1.5 lists no
// action of an unmanaged resource in its transition summary); the members after it restart
// all the same. Expectations checked against crm_simulate 2.1.5 on these CIBs.
import { describe, expect, it } from "vitest";
import { sameActions } from "../../conformance/scheduler-compare";
import { history, record, scheduleSmall } from "./small-cib";

const member = (id: string, meta = "") => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy">${meta}</primitive>`;
const unmanaged = (id: string) => `<meta_attributes id="${id}-m"><nvpair id="${id}-m1" name="is-managed" value="false"/></meta_attributes>`;
const running = (id: string, call: number) => history(id, [record(id, "start", { call })]);

describe("a group member that starts before an unmanaged member", () => {
  it("restarts no unmanaged member, but restarts a managed member after it", () => {
    const actual = scheduleSmall({
      resources: `<group id="g">${member("a")}${member("b")}${member("c", unmanaged("c"))}${member("d")}</group>`,
      history: { alder: running("a", 1) + running("c", 2) + running("d", 3) },
    });
    expect(sameActions(actual, [{ action: "start", resource: "b", node: "alder" }, { action: "restart", resource: "d", node: "alder" }]), JSON.stringify(actual)).toBe(true);
  });

  it("lists only the start when every member after it is unmanaged", () => {
    const actual = scheduleSmall({
      resources: `<group id="g">${member("a")}${member("b")}${member("c", unmanaged("c"))}${member("d", unmanaged("d"))}</group>`,
      history: { alder: running("a", 1) + running("c", 2) + running("d", 3) },
    });
    expect(sameActions(actual, [{ action: "start", resource: "b", node: "alder" }]), JSON.stringify(actual)).toBe(true);
  });
});
