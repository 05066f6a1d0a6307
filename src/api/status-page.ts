// GET /: a read-only status page for an appliance network (no scripts, no external assets,
// no secrets): nodes, resources and where they run, recent transitions with their reasons,
// fence history. It reloads itself every few seconds. Pure: the agent hands in the view.

export interface StatusPageView {
  cluster: string;
  node: string;
  dc: string | null;
  quorate: boolean;
  cibVersion: string;
  generatedAtSeconds: number;
  nodes: ReadonlyArray<{ name: string; state: string }>;
  resources: ReadonlyArray<{ id: string; agent: string; group?: string; role: string; nodes: readonly string[]; managed: boolean }>;
  transitions: ReadonlyArray<{ id: number; atSeconds: number; reason: string; result: string; steps: readonly string[] }>;
  fencing: ReadonlyArray<{ target: string; action: string; state: string; by?: string; atSeconds?: number; reason?: string }>;
}

export const PAGE_REFRESH_SECONDS = 5;

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

function time(seconds: number | undefined): string {
  return seconds ? new Date(seconds * 1000).toISOString().replace(".000Z", "Z") : "";
}

function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, id: string, empty: string): string {
  if (rows.length === 0) return `<p id="${id}" class="empty">${escapeHtml(empty)}</p>`;
  const head = headers.map((header) => `<th>${escapeHtml(header)}</th>`).join("");
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join("")}</tr>`).join("\n");
  return `<table id="${id}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
h1{font-size:1.4em;margin:0 0 .3em}h2{font-size:1.1em;margin:1.4em 0 .4em}
table{border-collapse:collapse;min-width:40em}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#eee}.ok{color:#176117}.bad{color:#a31515;font-weight:bold}.empty{color:#777}
.summary span{margin-right:1.5em}`;

export function renderStatusPage(view: StatusPageView): string {
  const quorum = view.quorate ? `<span class="ok">quorate</span>` : `<span class="bad">WITHOUT quorum</span>`;
  const dc = view.dc ? escapeHtml(view.dc) : `<span class="bad">none (election in progress)</span>`;
  const nodes = table(["node", "state"], view.nodes.map((node) => [node.name, node.state]), "nodes", "no nodes known");
  const resources = table(
    ["resource", "agent", "group", "role", "running on", "managed"],
    view.resources.map((resource) => [resource.id, resource.agent, resource.group ?? "", resource.role, resource.nodes.join(" "), resource.managed ? "yes" : "no"]),
    "resources",
    view.dc ? "no resources configured" : "no DC yet: resource state unknown",
  );
  const transitions = table(
    ["#", "planned", "reason", "result", "steps"],
    [...view.transitions].reverse().map((transition) => [String(transition.id), time(transition.atSeconds), transition.reason, transition.result, transition.steps.join("; ")]),
    "transitions",
    "no transitions yet",
  );
  const fencing = table(
    ["target", "action", "state", "by", "when", "reason"],
    [...view.fencing].reverse().map((record) => [record.target, record.action, record.state, record.by ?? "", time(record.atSeconds), record.reason ?? ""]),
    "fencing",
    "no fencing yet",
  );
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="${PAGE_REFRESH_SECONDS}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>edgeha: ${escapeHtml(view.cluster)} (${escapeHtml(view.node)})</title>
<style>${STYLE}</style></head>
<body>
<h1>Cluster ${escapeHtml(view.cluster)}</h1>
<p class="summary"><span>seen from <b>${escapeHtml(view.node)}</b></span><span>DC: <b id="dc">${dc}</b></span><span id="quorum">${quorum}</span><span>configuration ${escapeHtml(view.cibVersion)}</span><span>as of ${escapeHtml(time(view.generatedAtSeconds))} (reloads every ${PAGE_REFRESH_SECONDS} s)</span></p>
<h2>Nodes</h2>
${nodes}
<h2>Resources</h2>
${resources}
<h2>Recent transitions</h2>
${transitions}
<h2>Fence history</h2>
${fencing}
</body></html>
`;
}
