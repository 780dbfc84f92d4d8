export declare const REPO_ROOT: string;
/** `../shared/data` beside the checkout; BFIO_DATA overrides. */
export declare const DATA_DIR: string;
export declare const VENV_PYTHON: string;
export declare const IN_CI: boolean;
/** Absolute path of a sample by its MANIFEST.tsv path. */
export declare function dataPath(relative: string): string;
export interface ManifestEntry {
  path: string;
  bytes: number;
  what: string;
}
/** The rows of `../shared/data/MANIFEST.tsv`. */
export declare function manifest(): ManifestEntry[];
export type Component = 'data' | 'python' | 'xmllint' | 'tiffinfo' | 'java' | 'bioformats-jar';
/** The Bio-Formats jar the set-up cached (BFIO_BIOFORMATS_JAR overrides). */
export declare function bioformatsJar(): string | undefined;
/**
 * Returns true when every component is present. When one is missing: in CI this throws (a skip would hide
 * untested code); elsewhere it prints a loud reason and returns false so the caller can `describe.skipIf`.
 */
export declare function available(...components: Component[]): boolean;
