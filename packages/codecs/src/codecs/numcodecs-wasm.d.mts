export function bloscFrameLength(data: Uint8Array): number;
