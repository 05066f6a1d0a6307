// Where the observability files live inside the agent's state directory.

/** The flight recorder's directory (Pacemaker's is /var/lib/pacemaker/pengine). */
export const RECORDER_DIRECTORY = "pe";