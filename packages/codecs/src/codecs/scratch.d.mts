export function scratch(size: number, slot?: string): Uint8Array;
export function isScratch(bytes: Uint8Array): boolean;
