export const codecs: Record<string, unknown>;
export function implementation(codec: string): string;
