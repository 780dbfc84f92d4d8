/**
 * OME-XML schema validation by xmllint (libxml2), the validator the OME schema is tested with: one process for
 * any number of documents, offline, with the OME catalog mapping the schema URLs (and xml.xsd) to local copies.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface XmlValidation {
  valid: boolean;
  /** xmllint's messages for this document, its temporary file name removed. */
  errors: string[];
}

/** The released-schema folder of ome/ome-model (holding 2016-06/ome.xsd and catalog.xml), if present. */
export function omeSchemaDir(schemaRoot: string): string | undefined {
  const dir = join(schemaRoot, 'ome-xml-schema', 'released-schema');
  return existsSync(join(dir, '2016-06', 'ome.xsd')) ? dir : undefined;
}

/** Whether xmllint can be run. */
export function haveXmllint(): boolean {
  const r = spawnSync('xmllint', ['--version'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
}

/**
 * Validates `docs` against the OME 2016-06 schema in `schemaDir` with ONE xmllint run. Throws when xmllint
 * cannot be run or says nothing about a document.
 */
export function validateOmeXmlDocs(docs: string[], schemaDir: string): XmlValidation[] {
  if (!docs.length) return [];
  const dir = mkdtempSync(join(tmpdir(), 'bfio-validate-'));
  try {
    const paths = docs.map((doc, i) => {
      const p = join(dir, `doc${i}.xml`);
      writeFileSync(p, doc);
      return p;
    });
    const xsd = join(schemaDir, '2016-06', 'ome.xsd');
    const r = spawnSync('xmllint', ['--nonet', '--noout', '--schema', xsd, ...paths], {
      env: { ...process.env, XML_CATALOG_FILES: join(schemaDir, 'catalog.xml') },
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    if (r.error) throw r.error;
    const lines = `${r.stdout}\n${r.stderr}`.split('\n');
    return paths.map((p) => {
      const valid = lines.includes(`${p} validates`);
      if (!valid && !lines.includes(`${p} fails to validate`)) {
        throw new Error(`xmllint said nothing about the document: ${r.stderr.slice(0, 500)}`);
      }
      const errors = lines.filter((l) => l.startsWith(`${p}:`)).map((l) => `line ${l.slice(p.length + 1)}`);
      return { valid, errors };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
