/**
 * The one JVM of this process, started lazily through the npm `java` bridge.
 *
 * - Started once: every caller awaits the same promise, so concurrent first uses cannot race.
 * - The `java` addon is imported only here, on first use: importing @bfio/bioformats-java costs nothing and a
 *   process that never reads a Bio-Formats file never loads a JVM. (Once loaded, the addon keeps the process
 *   alive: CLIs must call process.exit.) It must run on the main thread, never in worker_threads.
 * - Configuration (heap, jar, extra classpath/options) must be given before the JVM starts; a JVM cannot
 *   change its classpath or heap afterwards, so later conflicting settings throw.
 */
import { BfioError } from '@bfio/core';
import { javaMessage, javaUnavailable } from './errors.js';
import { type JarLocation, resolveJar } from './jar.js';

/** A Java object seen through node-java: methods with `Sync`/`Promise` suffixes. */
export type JavaObject = any;

/** The parts of node-java's module object we use. */
export interface JavaBridge {
  classpath: string[];
  options: string[];
  asyncOptions: { syncSuffix: string; asyncSuffix?: string; promiseSuffix?: string };
  ensureJvm(): Promise<void>;
  isJvmCreated(): boolean;
  newInstanceSync(className: string, ...args: unknown[]): JavaObject;
  newInstancePromise(className: string, ...args: unknown[]): Promise<JavaObject>;
  callStaticMethodSync(className: string, method: string, ...args: unknown[]): JavaObject;
  getStaticFieldValue(className: string, field: string): JavaObject;
  newArray(className: string, values: unknown[]): JavaObject;
  newLong(value: number): JavaObject;
}

export interface JvmOptions {
  /** Path of bioformats_package.jar (default: BFIO_BIOFORMATS_JAR, then the project and user caches). */
  jar?: string;
  /** Maximum heap, as Java spells it ('2g', '512m'). Default: BFIO_JAVA_HEAP, else the JVM's own default. */
  heap?: string;
  /** Extra classpath entries (additional readers, plugins). */
  classpath?: string[];
  /** Extra JVM options ('-Dfoo=bar'). */
  jvmOptions?: string[];
  /** Bio-Formats' log level (default 'ERROR': its DEBUG output floods stderr otherwise). */
  logLevel?: 'OFF' | 'ERROR' | 'WARN' | 'INFO' | 'DEBUG';
}

export interface JvmInfo {
  /** Bio-Formats version the JVM loaded (FormatTools.VERSION). */
  bioformatsVersion: string;
  /** Java version of the JVM (java.version). */
  javaVersion: string;
  classpath: string[];
  jarSource: JarLocation['source'];
}

interface Started {
  java: JavaBridge;
  info: JvmInfo;
}

let configured: JvmOptions = {};
let starting: Promise<Started> | undefined;

/** Sets JVM options for the coming start. Throws once the JVM is starting or running. */
export function configureJvm(options: JvmOptions): void {
  if (starting) {
    throw new BfioError(
      'java-unavailable',
      'The JVM is already started: heap, jar and classpath can only be configured before the first Bio-Formats call (call configureJvm or start first)',
    );
  }
  configured = { ...configured, ...options };
}

/** True once `start()` (or the first Bio-Formats call) has begun starting the JVM. */
export function jvmStarted(): boolean {
  return starting !== undefined;
}

async function loadBridge(): Promise<JavaBridge> {
  try {
    const mod = (await import('java')) as unknown as { default?: JavaBridge } & JavaBridge;
    return (mod.default ?? mod) as JavaBridge;
  } catch (err) {
    throw javaUnavailable(
      `Java could not be loaded by the npm 'java' bridge (${(err as Error).message.split('\n')[0]})`,
      'Install a Java runtime (OpenJDK 11 or newer, e.g. `apt install openjdk-17-jdk`), set JAVA_HOME to it, and reinstall so the `java` package rebuilds (`npm_config_nodedir=/usr pnpm install`)',
      { cause: err },
    );
  }
}

async function doStart(options: JvmOptions): Promise<Started> {
  const location = resolveJar(options.jar);
  const java = await loadBridge();
  const classpath = [...location.classpath, ...(options.classpath ?? [])];
  if (!java.isJvmCreated()) {
    java.asyncOptions = { syncSuffix: 'Sync', promiseSuffix: 'Promise' };
    java.classpath.push(...classpath);
    const heap = options.heap ?? process.env.BFIO_JAVA_HEAP;
    if (heap) java.options.push(`-Xmx${heap}`);
    // Headless: some readers touch AWT classes; a display must never be needed.
    java.options.push('-Djava.awt.headless=true', ...(options.jvmOptions ?? []));
  }
  try {
    await java.ensureJvm();
  } catch (err) {
    throw javaUnavailable(
      `The JVM failed to start (${(err as Error).message.split('\n')[0]})`,
      'Check JAVA_HOME points at a working Java 11+ and that the heap setting fits this machine',
      { cause: err },
    );
  }
  let bioformatsVersion: string;
  try {
    bioformatsVersion = String(java.getStaticFieldValue('loci.formats.FormatTools', 'VERSION'));
    java.callStaticMethodSync('loci.common.DebugTools', 'setRootLevel', options.logLevel ?? 'ERROR');
  } catch (err) {
    throw javaUnavailable(
      `The JVM started but could not load Bio-Formats from ${classpath.join(':')} (${javaMessage(err)})`,
      'The jar is missing classes or corrupt: delete it and run `bfio bioformats install` (or scripts/fetch-bioformats in the project), or point BFIO_BIOFORMATS_JAR at a valid bioformats_package.jar',
      { cause: err },
    );
  }
  const javaVersion = String(java.callStaticMethodSync('java.lang.System', 'getProperty', 'java.version'));
  return { java, info: { bioformatsVersion, javaVersion, classpath, jarSource: location.source } };
}

/**
 * Starts the JVM with Bio-Formats (like bfio's `start()`); later calls return the same JVM. Options apply only
 * to the first call; passing different options once started throws.
 */
export async function start(options?: JvmOptions): Promise<JvmInfo> {
  if (options && starting) configureJvm(options);
  if (options) configured = { ...configured, ...options };
  return (await bridge()).info;
}

/** @internal The started bridge (starting it on first use). */
export function bridge(): Promise<Started> {
  if (!starting) {
    starting = doStart(configured);
    // A failed start may be fixed (jar installed, option changed) and retried in the same process, unless the
    // JVM itself came up: node-java cannot create a second one.
    starting.catch(async () => {
      const java = await loadBridge().catch(() => undefined);
      if (!java?.isJvmCreated()) starting = undefined;
    });
  }
  return starting;
}
