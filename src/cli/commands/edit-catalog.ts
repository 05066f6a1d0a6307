// What an edit is checked against, read from this machine before the edit is made: the
// agents installed here, the meta-data of the agent a `resource create` or `resource
// update` names (a bare type resolved first, as pcs does), the fence-agents programs.
import type { AdminEdit, EditCatalog } from "../../admin";
import { formatAgentName } from "../../admin";
import { flattenSets } from "../../cib";
import type { CommandContext } from "../command";
import { AgentCatalog } from "./agent-catalog";
import { localCatalog, type CibTarget } from "./admin-target";

export async function catalogFor(edit: AdminEdit, target: CibTarget, context: CommandContext, quiet: boolean): Promise<EditCatalog> {
  const catalog: EditCatalog = localCatalog(context.env);
  const agents = AgentCatalog.fromEnvironment(context.env);
  switch (edit.kind) {
    case "resource-create": {
      if (edit.agent.class === "") {
        const bare = edit.agent.type;
        edit.agent = agents.resolve(bare);
        if (!quiet) context.stderr.write(`Assumed agent name '${formatAgentName(edit.agent)}' (deduced from '${bare}')\n`);
      }
      const description = await agents.description(edit.agent);
      const validate = edit.agentValidation === true && edit.agent.class === "ocf" && description?.actions.some((action) => action.name === "validate-all") === true;
      return { ...catalog, descriptions: { [formatAgentName(edit.agent)]: description }, ...(validate ? { selfValidation: await agents.validate(edit.agent, edit.id, edit.settings.instance) } : {}) };
    }
    case "resource-update": {
      const { cib } = await target.read();
      const found = allResources(cib.resources).find((resource) => resource.id === edit.id);
      if (found?.kind !== "primitive" || found.class === "stonith") return catalog;
      const description = await agents.description(found);
      const validate = edit.agentValidation === true && found.class === "ocf" && description?.actions.some((action) => action.name === "validate-all") === true;
      // validate-all sees the parameters the resource will have: its own, with the changes.
      const params = Object.fromEntries(Object.entries({ ...flattenSets(found.instance), ...edit.settings.instance }).filter(([, value]) => value !== ""));
      return { ...catalog, descriptions: { [formatAgentName(found)]: description }, ...(validate ? { selfValidation: await agents.validate(found, found.id, params) } : {}) };
    }
    case "stonith-create":
      return { ...catalog, fencePrograms: agents.agents("stonith") };
    default:
      return catalog;
  }
}

type Resource = Awaited<ReturnType<CibTarget["read"]>>["cib"]["resources"][number];

function allResources(resources: readonly Resource[]): Resource[] {
  return resources.flatMap((resource): Resource[] => {
    if (resource.kind === "group") return [resource, ...resource.members];
    if (resource.kind === "clone") return [resource, ...allResources([resource.child])];
    return [resource];
  });
}
