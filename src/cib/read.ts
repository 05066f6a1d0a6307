// Reads a CIB file in any accepted form: Pacemaker XML (by content), or native JSON/YAML,
// at most CIB_FILE_BYTES_MAX bytes of it.
import { readBoundedText } from "../common/bounded-read";
import type { Cib } from "./model";
import { parseNativeCib } from "./native";
import { importCibXml } from "./xml-import";

/** The largest CIB file read: the XML parser's own bound (a 5,000-primitive CIB is about 2.5 MB). */
export const CIB_FILE_BYTES_MAX = 16 * 1024 * 1024;

export function readCibFile(file: string): { cib: Cib; warnings: string[]; format: "xml" | "native" } {
  const text = readBoundedText(file, CIB_FILE_BYTES_MAX, { readCode: "E_CIB_READ", tooLargeCode: "E_CIB_TOO_LARGE", what: "CIB file" });
  if (text.trimStart().startsWith("<")) {
    const { cib, warnings } = importCibXml(text, file);
    return { cib, warnings, format: "xml" };
  }
  return { cib: parseNativeCib(text, file), warnings: [], format: "native" };
}
