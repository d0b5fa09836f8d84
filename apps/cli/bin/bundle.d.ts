/** The bundle `engops` runs, rebuilt first when a source is newer; null when it cannot be built. */
export function bundledEntry(): Promise<string | null>;
/** Bundles `entry` with the engops TypeScript it imports into `outfile` (inside the repository). */
export function buildBundle(entry: string, outfile: string): Promise<void>;
