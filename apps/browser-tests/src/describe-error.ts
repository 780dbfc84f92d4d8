/** In the page: a thrown value as JSON the test can assert on (class name, a BfioError's tag, message). */
export function describeError(err: unknown): { name: string; tag?: string; message: string } {
  if (err instanceof Error) {
    const tag = (err as { tag?: unknown }).tag;
    return { name: err.name, tag: typeof tag === 'string' ? tag : undefined, message: err.message };
  }
  return { name: typeof err, message: String(err) };
}
