type Codec = (input: Uint8Array, params: object) => Promise<Uint8Array>;
export function zlibAsync(kind: string): Codec;
