/**
 * In the page: SHA-256 of each YX plane of a planar (T, C, Z, Y, X) array, as test/peers.py hashes what
 * tifffile and zarr-python read (little-endian bytes, which is what a typed array holds on every browser
 * platform we run).
 */
export async function planeHashes(data: ArrayBufferView, planeElements: number): Promise<string[]> {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const planeBytes = (data.byteLength / elementCount(data)) * planeElements;
  const out: string[] = [];
  for (let start = 0; start < bytes.byteLength; start += planeBytes) {
    // slice(): WebCrypto refuses views of a SharedArrayBuffer, and a copy of one plane is cheap.
    const digest = await crypto.subtle.digest('SHA-256', bytes.slice(start, start + planeBytes));
    out.push(hex(new Uint8Array(digest)));
  }
  return out;
}

function elementCount(data: ArrayBufferView): number {
  return 'length' in data ? (data as unknown as { length: number }).length : data.byteLength;
}

function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}
