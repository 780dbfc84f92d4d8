/** In the page: a thrown value as JSON the test can assert on (class name, a BfioError's code, message). */
export function describeError(err: unknown): { name: string; code?: string; message: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, code: typeof code === 'string' ? code : undefined, message: err.message };
  }
  return { name: typeof err, message: String(err) };
}
