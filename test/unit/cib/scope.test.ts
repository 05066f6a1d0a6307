// Pacemaker features outside edgeha's scope are refused on import, naming the element and
// where it is, never dropped with a transition computed as if they were not there.
import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";

const cib = (resources: string, constraints = "", status = "", nodes = `<node id="1" uname="a"/>`, properties = "") => `<cib admin_epoch="0" epoch="1" num_updates="0"><configuration><crm_config>${properties}</crm_config><nodes>${nodes}</nodes><resources>${resources}</resources><constraints>${constraints}</constraints></configuration><status>${status}</status></cib>`;
const refusal = (xml: string) => { try { importCibXml(xml, "site.xml"); } catch (error) { return error as { code: string; message: string }; } return undefined; };

describe("importing a CIB that uses an unsupported Pacemaker feature", () => {
  it.each([
    ["a ticket constraint", cib(`<primitive id="db" class="ocf" provider="heartbeat" type="Dummy"/>`, `<rsc_ticket id="t" rsc="db" ticket="ticketA"/>`), /<rsc_ticket id="t"> in <configuration> > <constraints>: edgeha does not support tickets/],
    ["ticket states in the status", cib("", "", `<tickets><ticket_state id="ticketA" granted="true"/></tickets>`), /<tickets> in <status>: edgeha does not support tickets/],
    ["a bundle", cib(`<bundle id="web"><docker image="httpd"/></bundle>`), /<bundle id="web"> in <configuration> > <resources>: edgeha does not support bundles/],
    ["a remote connection", cib(`<primitive id="r1" class="ocf" provider="pacemaker" type="remote"/>`), /<primitive id="r1"> in .*Pacemaker Remote nodes/],
    ["a remote node", cib("", "", "", `<node id="r1" uname="r1" type="remote"/>`), /<node id="r1"> in <configuration> > <nodes>: edgeha does not support Pacemaker Remote/],
    ["a guest node", cib(`<primitive id="vm" class="ocf" provider="heartbeat" type="VirtualDomain"><meta_attributes id="m"><nvpair id="m1" name="remote-node" value="guest1"/></meta_attributes></primitive>`), /<nvpair id="m1"> in .*<primitive id="vm"> > <meta_attributes id="m">: edgeha does not support guest nodes/],
    ["the container meta attribute", cib(`<primitive id="app" class="ocf" provider="heartbeat" type="Dummy"><meta_attributes id="m"><nvpair id="m1" name="container" value="vm"/></meta_attributes></primitive>`), /edgeha does not support the container meta attribute/],
    ["the shutdown-lock cluster option", cib("", "", "", undefined, `<cluster_property_set id="o"><nvpair id="o1" name="shutdown-lock" value="true"/></cluster_property_set>`), /<nvpair id="o1"> in <configuration> > <crm_config> > <cluster_property_set id="o">: edgeha does not support shutdown-lock/],
  ])("refuses %s with E_CIB_UNSUPPORTED naming the element and its place", (_name, xml, message) => {
    const error = refusal(xml);
    expect(error?.code).toBe("E_CIB_UNSUPPORTED");
    expect(error?.message).toMatch(/^site\.xml: /);
    expect(error?.message).toMatch(message);
  });

  it("accepts shutdown-lock set to false (Pacemaker's default)", () => {
    expect(refusal(cib("", "", "", undefined, `<cluster_property_set id="o"><nvpair id="o1" name="shutdown-lock" value="false"/></cluster_property_set>`))).toBeUndefined();
  });

  it("accepts the same words where they mean something else (an instance attribute named container)", () => {
    expect(refusal(cib(`<primitive id="app" class="ocf" provider="heartbeat" type="Dummy"><instance_attributes id="i"><nvpair id="i1" name="container" value="x"/></instance_attributes></primitive>`))).toBeUndefined();
  });
});
