import { BfioError } from '@bfio/core';

/**
 * The one error for "Bio-Formats cannot run here": no Java, no jar, or a jar the JVM cannot load.
 * The message always ends with what to install or run.
 */
export function javaUnavailable(
  problem: string,
  remedy: string,
  options: { file?: string; cause?: unknown } = {},
) {
  return new BfioError('java-unavailable', `${problem}. ${remedy}`, options);
}

/** A Java exception's message (node-java wraps it; the Java cause holds the useful text). */
export function javaMessage(err: unknown): string {
  const e = err as {
    cause?: { getMessageSync?: () => string | null; toStringSync?: () => string };
    message?: string;
  };
  try {
    const cause = e?.cause;
    if (cause?.toStringSync) return cause.toStringSync();
  } catch {
    // fall through to the JS message
  }
  const text = String(e?.message ?? err);
  // node-java puts the whole Java stack in the message; the first line says what happened.
  return text.split('\n')[0] ?? text;
}
