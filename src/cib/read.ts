// Reads a CIB file in any accepted form: Pacemaker XML (by content), or native JSON/YAML.
import { readFileSync } from "node:fs";
import { EdgehaError } from "../common/errors";
import type { Cib } from "./model";
import { parseNativeCib } from "./native";
import { importCibXml } from "./xml-import";

export function readCibFile(file: string): { cib: Cib; warnings: string[]; format: "xml" | "native" } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new EdgehaError("E_CIB_READ", `cannot read ${file}: ${(error as Error).message}`);
  }
  if (text.trimStart().startsWith("<")) {
    const { cib, warnings } = importCibXml(text, file);
    return { cib, warnings, format: "xml" };
  }
  return { cib: parseNativeCib(text, file), warnings: [], format: "native" };
}
