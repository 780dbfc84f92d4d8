/**
 * Blosc and LZ4 through numcodecs' WASM builds (the ones zarrita.js and zarr-python's numcodecs use), on
 * every platform: loaded on first use, one codec instance per configuration.
 *
 * Blosc's 16-byte header gives the frame's compressed length (bytes 12–15) and what it decodes to (4–7).
 * numcodecs' Blosc decodes some garbage to nothing without an error, and allocates what a damaged header
 * claims (up to 4 GiB) before it fails: a frame that disagrees with its own header, or claims more than the
 * block holds (`params.outputSize`), is refused first.
 */
const modules = new Map();
const instances = new Map();

async function instance(name, config) {
  const key = `${name}:${JSON.stringify(config)}`;
  let codec = instances.get(key);
  if (!codec) {
    let mod = modules.get(name);
    if (!mod) {
      mod = name === 'blosc' ? import('numcodecs/blosc') : import('numcodecs/lz4');
      modules.set(name, mod);
    }
    codec = mod.then((m) => m.default.fromConfig({ id: name, ...config }));
    instances.set(key, codec);
  }
  return codec;
}

/** The decoded size a Blosc frame's header announces; throws when the header and the frame disagree. */
export function bloscFrameLength(data) {
  if (data.byteLength < 16)
    throw new Error(`blosc frame of ${data.byteLength} bytes is shorter than its 16-byte header`);
  const view = new DataView(data.buffer, data.byteOffset, 16);
  const cbytes = view.getUint32(12, true);
  if (cbytes !== data.byteLength)
    throw new Error(`blosc header says ${cbytes} compressed bytes, but the chunk has ${data.byteLength}`);
  return view.getUint32(4, true);
}

/** params { outputSize? }: the frame's header is checked against itself and the block before decoding. */
export async function bloscDecode(input, params) {
  const want = bloscFrameLength(input);
  if (params.outputSize > 0 && want > params.outputSize)
    throw new Error(
      `blosc header says ${want} decoded bytes, more than a chunk holds (${params.outputSize})`,
    );
  const out = await (await instance('blosc', {})).decode(input);
  if (out.byteLength !== want)
    throw new Error(`blosc frame decoded to ${out.byteLength} bytes, its header says ${want}`);
  return out;
}

/** params { cname, clevel, shuffle (0, 1, 2), blocksize }. */
export async function bloscEncode(input, params) {
  const { cname = 'lz4', clevel = 5, shuffle = 1, blocksize = 0 } = params;
  return (await instance('blosc', { cname, clevel, shuffle, blocksize })).encode(input);
}

export async function lz4Decode(input, params) {
  const out = await (await instance('lz4', {})).decode(input);
  if (params.outputSize > 0 && out.byteLength > params.outputSize)
    throw new Error(`lz4 data decodes to ${out.byteLength} bytes, more than ${params.outputSize}`);
  return out;
}

export async function lz4Encode(input, params) {
  return (await instance('lz4', { acceleration: params.acceleration ?? 1 })).encode(input);
}
