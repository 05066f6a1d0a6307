import { describe, expect, it } from "vitest";
import { exportCibXml, importCibXml, parseNativeCib, serializeNativeCib, diffCibs, applyCibPatch, emptyCib, cibDigest } from "../../../src/cib";

const XML = `<cib admin_epoch="0" epoch="5" num_updates="0" validate-with="pacemaker-3.9">
  <configuration>
    <crm_config/><nodes/><resources/><constraints/>
    <alerts>
      <alert id="file_alert" path="/usr/share/pacemaker/alerts/alert_file.sh.sample" description="to a log">
        <select><select_nodes/><select_attributes><attribute id="a1" name="standby"/></select_attributes></select>
        <meta_attributes id="file_alert-meta"><nvpair id="ts" name="timestamp-format" value="%H:%M:%S.%06N"/><nvpair id="to" name="timeout" value="10s"/></meta_attributes>
        <instance_attributes id="file_alert-inst"><nvpair id="dbg" name="debug_exec_order" value="true"/></instance_attributes>
        <recipient id="file_alert-log" value="/var/log/cluster-alerts.log">
          <meta_attributes id="rmeta"><nvpair id="rts" name="timestamp-format" value="%Y-%m-%d"/></meta_attributes>
        </recipient>
        <recipient id="file_alert-other" value="/tmp/other.log"/>
      </alert>
      <alert id="snmp" path="/usr/share/pacemaker/alerts/alert_snmp.sh.sample"/>
    </alerts>
  </configuration>
  <status/>
</cib>`;

describe("<alerts> in the CIB", () => {
  it("imports alerts with select, meta, instance attributes and recipients", () => {
    const { cib, warnings } = importCibXml(XML);
    expect(warnings).toEqual([]);
    expect(cib.alerts).toHaveLength(2);
    const alert = cib.alerts![0]!;
    expect(alert).toMatchObject({ id: "file_alert", path: "/usr/share/pacemaker/alerts/alert_file.sh.sample", description: "to a log", select: { kinds: ["node", "attribute"], attributes: ["standby"] } });
    expect(alert.meta[0]!.values).toEqual({ "timestamp-format": "%H:%M:%S.%06N", timeout: "10s" });
    expect(alert.instance[0]!.values).toEqual({ debug_exec_order: "true" });
    expect(alert.recipients.map((recipient) => [recipient.id, recipient.value])).toEqual([["file_alert-log", "/var/log/cluster-alerts.log"], ["file_alert-other", "/tmp/other.log"]]);
    expect(alert.recipients[0]!.meta[0]!.values).toEqual({ "timestamp-format": "%Y-%m-%d" });
    expect(cib.alerts![1]).toMatchObject({ id: "snmp", recipients: [] });
  });

  it("exports them so that an import gives the same model", () => {
    const { cib } = importCibXml(XML);
    const xml = exportCibXml(cib);
    expect(xml).toContain("<alerts>");
    expect(xml).toContain('<select_attributes>');
    expect(importCibXml(xml).cib.alerts).toEqual(cib.alerts);
  });

  it("keeps them in the native form, which the schema accepts", () => {
    const { cib } = importCibXml(XML);
    const native = parseNativeCib(serializeNativeCib(cib), "test");
    expect(native.alerts).toEqual(cib.alerts);
    expect(() => parseNativeCib(JSON.stringify({ ...JSON.parse(serializeNativeCib(cib)), alerts: [{ id: "x" }] }), "bad")).toThrow(/path/);
  });

  it("replicates an alert change as a patch", () => {
    const before = { ...emptyCib(), version: { adminEpoch: 0, epoch: 1, numUpdates: 0 } };
    const after = { ...importCibXml(XML).cib, version: { adminEpoch: 0, epoch: 2, numUpdates: 0 }, attributes: {} };
    const patch = diffCibs(before, after);
    expect(patch.changes.some((change) => change.kind === "put" && change.section === "alerts")).toBe(true);
    expect(applyCibPatch(before, patch).alerts).toEqual(after.alerts);
  });

  it("takes no alerts and an empty list for the same CIB", () => {
    expect(cibDigest({ ...emptyCib(), alerts: [] })).toBe(cibDigest(emptyCib()));
  });
});
