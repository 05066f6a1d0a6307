// Command-line face of corpus.ts (see scripts/scheduler-corpus.mjs): prints one line per case
// that does not pass, then "N passed, M failed, R refused".
import { runCorpus } from "./corpus";

const [folder, ...names] = process.argv.slice(2);
if (folder === undefined) {
  process.stderr.write("usage: scheduler-corpus FOLDER [NAME...]   (FOLDER holds cases/ and expected/)\n");
  process.exit(2);
}
const outcomes = runCorpus(folder, names.length > 0 ? names : undefined);
for (const outcome of outcomes) if (outcome.status !== "pass") process.stdout.write(`${outcome.status.toUpperCase()} ${outcome.name}${outcome.code ? ` ${outcome.code}` : ""}${outcome.status === "error" ? ` ${outcome.message?.split("\n")[0]}` : ""}\n`);
const count = (status: string) => outcomes.filter((outcome) => outcome.status === status).length;
process.stdout.write(`${count("pass")} passed, ${count("fail") + count("error")} failed, ${count("refused")} refused (of ${outcomes.length})\n`);
