/**
 * The OME-NGFF JSON schemas (ome/ngff, `<version>/schemas/*.schema`) compiled once with ajv (draft 2020-12,
 * the dialect they are written in).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';

export type NgffKind = 'image' | 'label' | 'plate' | 'well' | 'bf2raw';

export interface NgffSchemas {
  versions: string[];
  /** Error messages of `doc` against `<version>/<kind>.schema` (empty: valid); undefined: no such schema. */
  validate(version: string, kind: NgffKind, doc: unknown): string[] | undefined;
}

/** Loads every version under `<root>/ngff-spec`, or undefined when the folder is not there. */
export function loadNgffSchemas(root: string): NgffSchemas | undefined {
  const dir = join(root, 'ngff-spec');
  if (!existsSync(dir)) return undefined;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const versions: string[] = [];
  for (const version of readdirSync(dir).sort()) {
    const sdir = join(dir, version, 'schemas');
    if (!existsSync(sdir)) continue;
    versions.push(version);
    for (const f of readdirSync(sdir).filter((n) => n.endsWith('.schema'))) {
      ajv.addSchema(JSON.parse(readFileSync(join(sdir, f), 'utf8')), `${version}/${f}`);
    }
  }
  return {
    versions,
    validate(version, kind, doc) {
      const v = ajv.getSchema(`${version}/${kind}.schema`);
      if (!v) return undefined;
      if (v(doc)) return [];
      return (v.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`);
    },
  };
}
