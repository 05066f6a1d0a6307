// A node's simulated state directory: the CIB files and the membership file, written the way
// src/cib/store.ts and the membership service write them (a temporary file, fsync, rename,
// fsync the directory) and read back the way they are read (newest valid file first, its
// digest checked, older ones as backups). A write can be the moment the agent crashes: the
// temporary file is then torn (cut anywhere) or whole but not yet renamed, or renamed but
// the directory not yet synced; only what the protocol made durable survives.
import { checkedLineage, cibDigest, type Cib, type CibLineage } from "../cib";
import type { PersistedMembership } from "../stack";
import type { Random } from "./random";

/** Versions the CIB store keeps (the current one and ten backups), as src/cib/store.ts does. */
const CIB_FILES_KEPT = 11;

interface CibFile { sequence: number; text: string }

/** Where in a write the crash falls. */
export type CrashPoint = "torn-temporary" | "before-rename" | "before-directory-sync";

export class SimDisk {
  private cibFiles: CibFile[] = [];
  /** A renamed file whose directory entry is not yet synced: a power loss may undo the rename. */
  private unsyncedSequence: number | undefined;
  private membershipText: string | undefined;
  /** The executor's record of what this node started (src/executor/started.ts), written whole and atomically. */
  startedText: string | undefined;
  /** Temporary files left by writers that died (the store removes them on its next write). */
  leftovers = 0;
  writes = 0;

  constructor(initial: Cib | undefined) {
    if (initial !== undefined) this.cibFiles.push({ sequence: 1, text: storedText(initial) });
  }

  /** The CIB the agent loads at start: the newest file whose digest checks, else none. */
  loadCib(): { cib: Cib | undefined; lineage?: CibLineage; fellBack: boolean } {
    let fellBack = false;
    for (const file of [...this.cibFiles].sort((left, right) => right.sequence - left.sequence)) {
      const stored = checked(file.text);
      if (stored !== undefined) return { cib: stored.cib, lineage: checkedLineage(stored.cib, stored.lineage), fellBack };
      fellBack = true;
    }
    return { cib: undefined, fellBack };
  }

  /**
   * Stores a CIB. With a crash point, the agent dies in the middle: the caller stops
   * performing effects. Returns whether the new version is on the disk afterwards.
   */
  saveCib(cib: Cib, crash: CrashPoint | undefined, random: Random, lineage?: CibLineage): boolean {
    this.writes++;
    const sequence = (this.cibFiles.reduce((highest, file) => Math.max(highest, file.sequence), 0)) + 1;
    const text = storedText(cib, lineage);
    if (crash === "torn-temporary" || crash === "before-rename") {
      // The temporary file never becomes a cib-*.json file: the loader does not see it.
      this.leftovers++;
      if (crash === "torn-temporary") void text.slice(0, random.between(0, text.length - 1));
      return false;
    }
    this.cibFiles.push({ sequence, text });
    this.unsyncedSequence = crash === "before-directory-sync" ? sequence : undefined;
    this.leftovers = 0;
    if (this.cibFiles.length > CIB_FILES_KEPT) this.cibFiles = this.cibFiles.sort((left, right) => right.sequence - left.sequence).slice(0, CIB_FILES_KEPT);
    return true;
  }

  /** The power went: a rename whose directory was not synced may be lost. */
  powerLoss(random: Random): void {
    if (this.unsyncedSequence !== undefined && random.chance(0.5)) this.cibFiles = this.cibFiles.filter((file) => file.sequence !== this.unsyncedSequence);
    this.unsyncedSequence = undefined;
  }

  /** The agent process ended (the kernel still writes back what was renamed). */
  processEnded(): void {
    this.unsyncedSequence = undefined;
  }

  loadMembership(): PersistedMembership {
    if (this.membershipText === undefined) return { ringId: 0 };
    return JSON.parse(this.membershipText) as PersistedMembership;
  }

  saveMembership(state: PersistedMembership): void {
    this.membershipText = JSON.stringify(state);
  }
}

function storedText(cib: Cib, lineage?: CibLineage): string {
  return JSON.stringify({ format: "edgeha-cib/1", digest: cibDigest(cib), cib, ...(lineage ? { lineage } : {}) });
}

function checked(text: string): { cib: Cib; lineage: unknown } | undefined {
  try {
    const stored = JSON.parse(text) as { format?: string; digest?: string; cib?: Cib; lineage?: unknown };
    if (stored.format !== "edgeha-cib/1" || stored.cib === undefined || cibDigest(stored.cib) !== stored.digest) return undefined;
    return { cib: stored.cib, lineage: stored.lineage };
  } catch {
    return undefined;
  }
}
