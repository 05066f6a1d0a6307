// CIB schema versions: the shape of the native CIB, numbered, with a migration from each
// schema to the next. A CIB carries its schema (absent: 1, the form from before schemas
// were numbered). A build reads every schema up to CIB_SCHEMA_READ_MAX and refuses a newer
// one whole (E_CIB_SCHEMA_NEWER) rather than misread it; its controller then refuses to
// become DC. The DC moves a CIB to a newer schema only when asked (`edgeha cib upgrade`,
// as `pcs cluster cib-upgrade`) and only when every node reads it, so a node on the
// previous release can still take part until the upgrade of the whole cluster is done.
//
// Schema 2 adds the `schema` key itself: a build from before it rejects a CIB that has the
// key (its JSON schema allows no unknown key), so it cannot silently misread one.
// A later change to the native model that an older build would misread (a new section
// the scheduler must honour) bumps the schema and adds its migration here.
import { EdgehaError } from "../common/errors";
import type { Cib } from "./model";

/** The newest schema this build writes when asked to upgrade, and the newest it reads. */
export const CIB_SCHEMA_CURRENT = 2;
export const CIB_SCHEMA_READ_MAX = CIB_SCHEMA_CURRENT;

interface Migration {
  from: number;
  to: number;
  /** What the step changes, for `cib upgrade`'s output. */
  summary: string;
  apply(cib: Cib): Cib;
}

const MIGRATIONS: readonly Migration[] = [
  { from: 1, to: 2, summary: "numbers the schema (builds before schema 2 refuse the CIB rather than misread it)", apply: (cib) => ({ ...cib, schema: 2 }) },
];

export function cibSchemaOf(cib: Pick<Cib, "schema">): number {
  return cib.schema ?? 1;
}

/** The schema a raw (unvalidated) CIB object names, for a check before full validation. */
export function rawCibSchema(data: unknown): number | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  const schema = (data as { schema?: unknown }).schema;
  return typeof schema === "number" && Number.isSafeInteger(schema) ? schema : undefined;
}

/** E_CIB_SCHEMA_NEWER when a CIB is of a schema this build does not read. */
export function checkReadable(schema: number, what: string): void {
  if (schema <= CIB_SCHEMA_READ_MAX) return;
  throw new EdgehaError(
    "E_CIB_SCHEMA_NEWER",
    `${what} is written in CIB schema ${schema}, but this edgeha reads schemas up to ${CIB_SCHEMA_READ_MAX}; it refuses it rather than misread it (upgrade edgeha on this node)`,
    { schema, readMax: CIB_SCHEMA_READ_MAX },
  );
}

/** The migration steps from one schema to a newer one, in order. */
export function migrationPath(from: number, to: number): Array<{ from: number; to: number; summary: string }> {
  const steps: Migration[] = [];
  for (let schema = from; schema < to; schema++) {
    const step = MIGRATIONS.find((migration) => migration.from === schema);
    if (step === undefined) throw new EdgehaError("E_CIB_SCHEMA_NEWER", `no migration from CIB schema ${schema}: this edgeha reads schemas up to ${CIB_SCHEMA_READ_MAX}`, { schema });
    steps.push(step);
  }
  return steps.map(({ from: start, to: end, summary }) => ({ from: start, to: end, summary }));
}

/** The CIB moved to schema `to` (never downwards: a CIB already at or past it is returned as it is). */
export function migrateCib(cib: Cib, to: number): Cib {
  checkReadable(to, `the target schema ${to}`);
  let result = cib;
  for (let schema = cibSchemaOf(cib); schema < to; schema++) {
    const step = MIGRATIONS.find((migration) => migration.from === schema)!;
    result = step.apply(result);
  }
  return result;
}
