// The pcs alert verbs: alert create/update/delete, alert recipient add/update/remove, and
// alert config. Like every admin command they edit a CIB file (-f) or the running cluster.
import { describeAlerts, parseAlertWords } from "../../admin";
import type { Command } from "../command";
import { editCommand, needWords } from "./admin";
import { fileOption, jsonOption, socketOption, targetFor } from "./admin-target";

const ALERT_FIELDS = ["path", "id", "description"];
const RECIPIENT_FIELDS = ["value", "id", "description"];
const OPTIONS_HELP = "'options NAME=VALUE...' are handed to the agent as environment variables (alert_snmp.sh.sample reads trap_version, trap_community, ...); 'meta' takes timeout (default 30s), timestamp-format (default %H:%M:%S.%06N) and enabled. NAME= removes one.";

export const alertCommands: Command[] = [
  editCommand({
    words: ["alert", "create"],
    summary: "Add an alert agent: a program run on each node where a cluster event happens.",
    usage: "path=PATH [id=ID] [description=TEXT] [options NAME=VALUE...] [meta NAME=VALUE...]",
    description: `The agent runs with Pacemaker's CRM_alert_* environment for node, fencing, resource and attribute events, once per recipient (add them with 'alert recipient add'), one run at a time per recipient. Pacemaker's sample agents (/usr/share/pacemaker/alerts/*.sample) work unmodified. ${OPTIONS_HELP}`,
    examples: ["alert create path=/usr/share/pacemaker/alerts/alert_file.sh.sample id=to-file meta timestamp-format=%Y-%m-%d,%H:%M:%S.%01N"],
    edit: (words, _args, command) => (needWords(words, 1, command, Number.POSITIVE_INFINITY), { kind: "alert-create", words: parseAlertWords(words, ALERT_FIELDS, "alert create") }),
    done: (edit) => `created alert ${edit.words.fields.id ?? "(id chosen: see 'edgeha alert config')"}`,
  }),
  editCommand({
    words: ["alert", "update"],
    summary: "Change an alert agent's path, description, options or meta attributes.",
    usage: "ALERT-ID [path=PATH] [description=TEXT] [options NAME=VALUE...] [meta NAME=VALUE...]",
    description: OPTIONS_HELP,
    examples: ["alert update to-file meta timeout=10s", "alert update to-file options debug_exec_order="],
    edit: (words, _args, command) => (needWords(words, 2, command, Number.POSITIVE_INFINITY), { kind: "alert-update", id: words[0]!, words: parseAlertWords(words.slice(1), ["path", "description"], "alert update") }),
    done: (edit) => `updated alert ${edit.id}`,
  }),
  editCommand({
    words: ["alert", "delete"],
    summary: "Delete alert agents with their recipients.",
    usage: "ALERT-ID...",
    examples: ["alert delete to-file"],
    edit: (words, _args, command) => (needWords(words, 1, command, Number.POSITIVE_INFINITY), { kind: "alert-delete", ids: words }),
    done: (edit) => `deleted alert ${edit.ids.join(", ")}`,
  }),
  editCommand({
    words: ["alert", "recipient", "add"],
    summary: "Add a recipient to an alert agent (the agent runs once per recipient).",
    usage: "ALERT-ID value=VALUE [id=ID] [description=TEXT] [options NAME=VALUE...] [meta NAME=VALUE...] [--force]",
    description: `VALUE is handed to the agent as CRM_alert_recipient: a file for alert_file.sh.sample, an SNMP manager's address for alert_snmp.sh.sample. --force adds a second recipient with the same value. ${OPTIONS_HELP}`,
    examples: ["alert recipient add to-file value=/var/log/cluster-alerts.log"],
    edit: (words, args, command) => (needWords(words, 2, command, Number.POSITIVE_INFINITY), { kind: "alert-recipient-add", alert: words[0]!, words: parseAlertWords(words.slice(1), RECIPIENT_FIELDS, "alert recipient add"), force: args.options.force === true }),
    done: (edit) => `added a recipient to alert ${edit.alert}`,
  }),
  editCommand({
    words: ["alert", "recipient", "update"],
    summary: "Change a recipient's value, description, options or meta attributes.",
    usage: "RECIPIENT-ID [value=VALUE] [description=TEXT] [options NAME=VALUE...] [meta NAME=VALUE...]",
    examples: ["alert recipient update to-file-recipient value=/var/log/other.log"],
    edit: (words, _args, command) => (needWords(words, 2, command, Number.POSITIVE_INFINITY), { kind: "alert-recipient-update", id: words[0]!, words: parseAlertWords(words.slice(1), ["value", "description"], "alert recipient update") }),
    done: (edit) => `updated recipient ${edit.id}`,
  }),
  editCommand({
    words: ["alert", "recipient", "remove"],
    summary: "Remove recipients from their alert agents.",
    usage: "RECIPIENT-ID...",
    examples: ["alert recipient remove to-file-recipient"],
    edit: (words, _args, command) => (needWords(words, 1, command, Number.POSITIVE_INFINITY), { kind: "alert-recipient-remove", ids: words }),
    done: (edit) => `removed recipient ${edit.ids.join(", ")}`,
  }),
  {
    words: ["alert", "config"],
    summary: "Show the alert agents and their recipients.",
    usage: "[-f FILE | --socket PATH] [--json]",
    examples: ["alert config", "alert config -f cib.xml --json"],
    options: [fileOption, socketOption, jsonOption],
    async run(args, context) {
      const { cib } = await targetFor(args).read();
      context.stdout.write(args.options.json ? `${JSON.stringify(cib.alerts ?? [])}\n` : describeAlerts(cib));
      return 0;
    },
  },
];
