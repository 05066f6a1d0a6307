// What agents print and what fence-agents read on stdin is input like any other: bounded,
// and malformed meta-data is an error with its place (it used to parse leniently or say
// "unexpected error").
import { describe, expect, it } from "vitest";
import { parseMetadata } from "../../../src/executor";
import { parseAgentMetadata } from "../../../fence-drivers/external/index";
import { runInProcess } from "../../support/cli";

const ocfMetadata = (parameters: string) => `<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
<resource-agent name="Thing" version="1.0">
<shortdesc lang="en">A thing</shortdesc>
<parameters>
${parameters}
</parameters>
<actions><action name="start" timeout="20s"/></actions>
</resource-agent>
`;

describe("agent meta-data", () => {
  it("an OCF agent's meta-data with a DTD line is read, types and choices included", () => {
    const described = parseMetadata("ocf:acme:Thing", ocfMetadata(`<parameter name="mode" required="1" unique="1"><shortdesc lang="en">Mode &amp; more</shortdesc><content type="select" default="a"><option value="a"/><option value="b"/></content></parameter>`));
    expect(described.parameters).toEqual([{ name: "mode", required: true, unique: true, default: "a", type: "select", choices: ["a", "b"], description: "Mode & more" }]);
  });

  it("malformed OCF meta-data is E_AGENT_METADATA naming the agent, line and column", () => {
    expect(() => parseMetadata("ocf:acme:Thing", ocfMetadata(`<parameter name="x"><shortdesc>&nbsp;</shortdesc></parameter>`))).toThrow(expect.objectContaining({ code: "E_AGENT_METADATA", message: expect.stringMatching(/^the meta-data of ocf:acme:Thing:6:\d+: undefined entity &nbsp;/) }));
    const truncated = ocfMetadata("").slice(0, 120);
    expect(() => parseMetadata("ocf:acme:Thing", truncated)).toThrow(expect.objectContaining({ code: "E_AGENT_METADATA", message: expect.stringContaining("(is it truncated?)") }));
    expect(() => parseMetadata("ocf:acme:Thing", "<resource-agent>" + "<x>".repeat(100))).toThrow(expect.objectContaining({ code: "E_AGENT_METADATA", message: expect.stringContaining("the nesting depth exceeds edgeha's limit of 16") }));
  });

  it("malformed fence-agent metadata is E_FENCE_DRIVER with its place", () => {
    expect(() => parseAgentMetadata(`<resource-agent name="fence_x"><parameters><parameter name="a"></parameters></resource-agent>`, "fence_x")).toThrow(expect.objectContaining({ code: "E_FENCE_DRIVER", message: expect.stringMatching(/^the metadata of fence_x:1:\d+: <\/parameters> closes <parameter>/) }));
    const parsed = parseAgentMetadata(`<resource-agent name="fence_x" shortdesc="X &amp; Y"><parameters><parameter name="ip" required="1"><getopt mixed="-a, --ip=[ip]"/><content type="string"/><shortdesc lang="en">Address</shortdesc></parameter></parameters><actions><action name="off"/></actions></resource-agent>`, "fence_x");
    expect(parsed).toMatchObject({ name: "fence_x", shortDescription: "X & Y", actions: ["off"], parameters: [{ name: "ip", required: true, flags: ["-a", "--ip"], description: "Address" }] });
  });
});

describe("fence-agents stdin", () => {
  it("more than 64 KiB on stdin is refused (E_FENCE_OPTION), and junk lines give at most 20 warnings", async () => {
    const huge = await runInProcess(["fence-driver", "xvm"], undefined, "junk\n".repeat(20_000));
    expect(huge.status).toBe(1);
    expect(huge.err).toContain("stdin holds more than 65536 bytes; fence-agents options are a few key=value lines [E_FENCE_OPTION]");
    const junk = await runInProcess(["fence-driver", "xvm"], undefined, `${"junk\n".repeat(100)}action=metadata\n`);
    const warnings = junk.err.split("\n").filter((line) => line.startsWith("Parse error:"));
    expect(warnings).toHaveLength(21);
    expect(warnings[20]).toBe("Parse error: 80 more stdin lines were ignored");
  });
});
