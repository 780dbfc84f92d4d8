/** Our model summarised in the same shape as test/peer.py's ome-types summary. */
import type { OME, Quantity } from '../src/index.js';

const q = (x: Quantity | undefined) => (x === undefined ? null : [x.value, x.unit]);
const n = <T>(x: T | undefined) => (x === undefined ? null : x);

export function summarize(o: OME) {
  return {
    images: o.images.map((i) => {
      const p = i.pixels;
      return {
        id: i.id,
        name: n(i.name),
        pixels: {
          id: p.id,
          dimensionOrder: p.dimensionOrder,
          type: p.type,
          size: [p.sizeX, p.sizeY, p.sizeZ, p.sizeC, p.sizeT],
          physicalSize: [q(p.physicalSizeX), q(p.physicalSizeY), q(p.physicalSizeZ)],
          timeIncrement: q(p.timeIncrement),
          channels: p.channels.map((c) => [
            c.id,
            n(c.name),
            n(c.samplesPerPixel),
            q(c.excitationWavelength),
            q(c.emissionWavelength),
          ]),
          planes: p.planes.map((pl) => [
            pl.theZ,
            pl.theC,
            pl.theT,
            q(pl.deltaT),
            q(pl.exposureTime),
            q(pl.positionX),
          ]),
          tiffData: p.tiffData.map((t) => [
            t.ifd,
            t.firstZ,
            t.firstC,
            t.firstT,
            n(t.planeCount),
            n(t.uuid?.value),
            n(t.uuid?.fileName),
          ]),
        },
      };
    }),
    instruments: o.instruments.map((ins) => ({
      id: ins.id,
      objectives: ins.objectives.map((ob) => [
        ob.id,
        n(ob.lensNA),
        n(ob.nominalMagnification),
        n(ob.immersion),
      ]),
    })),
    maps: (o.structuredAnnotations?.mapAnnotations ?? []).map((m) => [m.id, m.values]),
  };
}
