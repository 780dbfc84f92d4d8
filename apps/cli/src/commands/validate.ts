import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { FileNotFoundError, UnknownFormatError } from '@bfio/core';
import { UsageError } from '../usage-error.js';
import { checkNgff, isZarrGroup } from '../validate/ngff.js';
import { loadNgffSchemas } from '../validate/ngff-schema.js';
import { checkOmeTiffPlanes, checkOmeXmlSchema } from '../validate/ome-xml.js';
import { Report } from '../validate/report.js';
import { checkTiff } from '../validate/tiff.js';
import { isTiffHeader, TAG, withTiffStructure } from '../validate/tiff-structure.js';
import { omeSchemaDir } from '../validate/xmllint.js';

export const VALIDATE_HELP = `bfio validate FILE [--json] [--schema-dir DIR]

Checks what any tool wrote, and says for each rule: ok, or where it is broken and how to fix it.

  TIFF / OME-TIFF  the structure: IFDs and tag values inside the file, no IFD loop, tile and strip counts
                   (tiles across × down × planes), tile/strip offsets and byte counts inside the file, tile
                   sizes, SubIFDs; the OME-XML against the OME 2016-06 schema (xmllint) and its planes
                   against the IFDs.
  OME-Zarr         each group (image, label, plate, well, bioformats2raw) against the NGFF 0.4/0.5 JSON
                   schema, and the rules a schema cannot state: one axis per array dimension, unique axis
                   names, axis order, levels shrinking with one dtype, scales consistent with the sizes,
                   positive chunk shapes, shards a multiple of chunks, omero channels = size of c.
  OME-XML file     against the OME schema.

  --json            the report as JSON: {file, valid, failed: [rule ids], results: [{rule, status, target,
                    problems: [{where, message, fix}]}]}
  --schema-dir DIR  folder holding ngff-spec/<version>/schemas (github.com/ome/ngff) and
                    ome-xml-schema/released-schema (github.com/ome/ome-model); default $BFIO_SCHEMA_DIR.
                    Without it the schema rules are skipped (the structural rules still run).

Exit code: 0 valid, 1 a rule is broken, 2 the input cannot be read.

Example:
  bfio validate image.ome.tif --schema-dir ~/schemas
  bfio validate image.ome.zarr --json | jq '.failed'`;

export interface ValidateFlags {
  json?: boolean;
  'schema-dir'?: string;
}

function head(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(256);
    return b.subarray(0, readSync(fd, b, 0, b.length, 0));
  } finally {
    closeSync(fd);
  }
}

/** Runs every rule that applies to `file`; prints the report and returns whether it is valid. */
export async function validate(
  file: string,
  flags: ValidateFlags,
  print: (s: string) => void,
): Promise<boolean> {
  const schemaRoot = flags['schema-dir'] ?? process.env.BFIO_SCHEMA_DIR;
  if (flags['schema-dir'] !== undefined && !existsSync(flags['schema-dir'])) {
    throw new UsageError(`--schema-dir ${flags['schema-dir']} does not exist`);
  }
  if (!existsSync(file)) throw new FileNotFoundError(file);
  const report = new Report(file);
  const xsd = schemaRoot ? omeSchemaDir(schemaRoot) : undefined;
  let target = file;
  if (!statSync(file).isDirectory() && ['zarr.json', '.zattrs', '.zgroup'].includes(basename(file))) {
    target = dirname(file);
  }
  if (statSync(target).isDirectory()) {
    if (!isZarrGroup(target)) {
      throw new UnknownFormatError(file, [], 'bfio validate reads TIFF, OME-TIFF, OME-Zarr and OME-XML.');
    }
    checkNgff(target, report, schemaRoot ? loadNgffSchemas(schemaRoot) : undefined);
  } else {
    const start = head(file);
    if (isTiffHeader(start)) {
      withTiffStructure(file, (s) => {
        checkTiff(s, report);
        const desc = s.ifds[0] && s.text(s.ifds[0], TAG.ImageDescription);
        if (desc && /<(\w+:)?OME[\s>]/.test(desc)) {
          checkOmeXmlSchema(report, desc, 'OME-XML in IFD 0', xsd);
          checkOmeTiffPlanes(report, desc, file, s.ifds.length);
        }
      });
    } else if (/^(\uFEFF)?\s*</.test(start.toString('utf8'))) {
      checkOmeXmlSchema(report, readFileSync(file, 'utf8'), 'OME-XML document', xsd);
    } else {
      throw new UnknownFormatError(file, [], 'bfio validate reads TIFF, OME-TIFF, OME-Zarr and OME-XML.');
    }
  }
  print(flags.json ? JSON.stringify(report.toJSON(), null, 2) : report.toText());
  return report.valid;
}
