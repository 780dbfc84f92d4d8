/**
 * OME-XML rules: the document against the OME 2016-06 schema (xmllint), and for an OME-TIFF the planes the
 * XML describes against the IFDs the file holds.
 */
import { basename } from 'node:path';
import { type OME, parseOmeXml } from '@bfio/ome-xml';
import type { Problem, Report } from './report.js';
import { haveXmllint, validateOmeXmlDocs } from './xmllint.js';

/** ome-xml.schema: the document is valid against the OME schema (xmllint's messages name the line). */
export function checkOmeXmlSchema(
  report: Report,
  xml: string,
  where: string,
  schemaDir: string | undefined,
): void {
  const rule = 'ome-xml.schema';
  if (!schemaDir) {
    report.skip(rule, where, 'no OME schema: pass --schema-dir DIR holding ome-xml-schema/released-schema');
    return;
  }
  if (!haveXmllint()) {
    report.skip(rule, where, 'xmllint is not installed (apt-get install libxml2-utils)');
    return;
  }
  const ns = /xmlns(?::\w+)?="http:\/\/www\.openmicroscopy\.org\/Schemas\/OME\/([\w-]+)"/i.exec(xml)?.[1];
  if (ns && ns !== '2016-06') {
    report.skip(
      rule,
      where,
      `OME-XML of schema ${ns}: only 2016-06 is checked (Bio-Formats upgrades older ones)`,
    );
    return;
  }
  const [v] = validateOmeXmlDocs([xml], schemaDir);
  const errors = v?.valid ? [] : (v?.errors ?? ['xmllint: fails to validate']);
  report.check(
    rule,
    where,
    errors.map((e) => ({
      where,
      message: e.replace(/\s+/g, ' ').trim(),
      fix: 'correct the element or attribute xmllint names (see the OME 2016-06 schema)',
    })),
  );
}

/** Planes each Image's Pixels holds: Z × T × (C, counting an RGB channel once). */
function planesOf(p: OME['images'][number]['pixels']): number {
  const spp = p.channels.reduce((n, c) => n + (c.samplesPerPixel ?? 1), 0);
  const c = p.channels.length && spp === p.sizeC ? p.channels.length : p.sizeC;
  return p.sizeZ * p.sizeT * c;
}

/**
 * ome-tiff.plane-count: every TiffData of this file maps to IFDs the file has, and when all of an Image's planes
 * are in this file, its TiffData map exactly Z × C × T planes.
 */
export function omeTiffPlaneCount(ome: OME, file: string, ifdCount: number): Problem[] {
  const out: Problem[] = [];
  const here = (uuid?: { fileName?: string }) =>
    !uuid?.fileName || basename(uuid.fileName) === basename(file);
  ome.images.forEach((image, i) => {
    const p = image.pixels;
    const want = planesOf(p);
    const where = `Image ${i} (${image.id})`;
    if (!p.tiffData.length) {
      out.push({
        where,
        message: 'has no TiffData, so no plane is mapped to an IFD',
        fix: 'add <TiffData IFD=".." PlaneCount=".."/> to its Pixels (rewrite with bfio convert)',
      });
      return;
    }
    let mapped = 0;
    let allHere = true;
    for (const td of p.tiffData) {
      if (!here(td.uuid)) {
        allHere = false;
        continue;
      }
      const n = td.planeCount ?? (p.tiffData.length === 1 ? want : 1);
      mapped += n;
      if (td.ifd + n > ifdCount) {
        out.push({
          where: `${where} TiffData IFD=${td.ifd}`,
          message: `maps ${n} plane(s) from IFD ${td.ifd}, but the file has ${ifdCount} IFDs`,
          fix: 'the OME-XML and the IFDs disagree: correct TiffData IFD/PlaneCount or the Size attributes',
        });
      }
    }
    if (allHere && mapped !== want) {
      out.push({
        where,
        message: `SizeZ × SizeC × SizeT is ${p.sizeZ} × ${p.sizeC} × ${p.sizeT} = ${want} plane(s) but its TiffData map ${mapped}`,
        fix: 'correct the Pixels Size attributes or the TiffData PlaneCount to match the IFDs the file has',
      });
    }
  });
  return out;
}

/** Parses the OME-XML of an OME-TIFF for the plane rules; a document that does not parse is a schema failure. */
export function checkOmeTiffPlanes(report: Report, xml: string, file: string, ifdCount: number): void {
  const rule = 'ome-tiff.plane-count';
  let ome: OME;
  try {
    ome = parseOmeXml(xml, { file });
  } catch (err) {
    report.skip(rule, 'OME-XML', `the OME-XML does not parse: ${(err as Error).message}`);
    return;
  }
  report.check(
    rule,
    `OME-XML: ${ome.images.length} image(s), ${ifdCount} IFDs`,
    omeTiffPlaneCount(ome, file, ifdCount),
  );
}
