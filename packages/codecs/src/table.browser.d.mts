export const codecs: Record<string, unknown>;
