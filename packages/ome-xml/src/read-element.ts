/**
 * Typed, strict reading of one element's attributes and children. Every failure is an OmeXmlError naming
 * the element path, which is what makes "strict parsing fails" precise (see README: Strict parsing).
 */
import { OmeXmlError, type OmeXmlErrorReason } from './errors.js';
import type { Extra, ExtraChild, Quantity, XmlNode } from './model.js';
import { childRank, idMatches } from './schema.js';
import { LENGTH_UNITS, TIME_UNITS } from './units.js';
import { attrsOf, elementsOf, tagOf } from './xml-nodes.js';

const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export type UnitKind = 'length' | 'time';

export class ElementReader {
  readonly attrs: Record<string, string>;
  private readonly used = new Set<string>();

  constructor(
    readonly file: string | undefined,
    readonly path: string,
    readonly node: XmlNode,
  ) {
    this.attrs = attrsOf(node);
  }

  fail(reason: OmeXmlErrorReason, problem: string): never {
    throw new OmeXmlError(this.file, reason, `${this.path}: ${problem}`);
  }

  str(name: string): string | undefined {
    this.used.add(name);
    return this.attrs[name];
  }

  req(name: string): string {
    const v = this.str(name);
    if (v === undefined) this.fail('missing-attribute', `required attribute ${name} is missing`);
    return v;
  }

  /** An `ID` that must match the schema pattern of `type`. */
  id(type: string, name = 'ID'): string {
    const v = this.req(name);
    if (!idMatches(type, v))
      this.fail('bad-id', `${name}="${v}" does not match the schema's ${type} ID pattern (${type}:…)`);
    return v;
  }

  int(name: string, min?: number): number | undefined {
    const raw = this.str(name);
    if (raw === undefined) return undefined;
    const s = raw.trim();
    if (!INT.test(s)) this.fail('bad-value', `${name}="${raw}" is not an integer`);
    const v = Number(s);
    if (min !== undefined && v < min) this.fail('bad-value', `${name}="${raw}" is below ${min}`);
    return v;
  }

  reqInt(name: string, min?: number): number {
    this.req(name);
    return this.int(name, min) as number;
  }

  float(name: string, positive = false): number | undefined {
    const raw = this.str(name);
    if (raw === undefined) return undefined;
    const s = raw.trim();
    let v: number;
    if (s === 'INF' || s === '+INF') v = Number.POSITIVE_INFINITY;
    else if (s === '-INF') v = Number.NEGATIVE_INFINITY;
    else if (s === 'NaN') v = Number.NaN;
    else if (FLOAT.test(s)) v = Number(s);
    else this.fail('bad-value', `${name}="${raw}" is not a number`);
    if (positive && !(v > 0)) this.fail('bad-value', `${name}="${raw}" must be > 0`);
    return v;
  }

  bool(name: string): boolean | undefined {
    const raw = this.str(name);
    if (raw === undefined) return undefined;
    const s = raw.trim();
    if (s === 'true' || s === '1') return true;
    if (s === 'false' || s === '0') return false;
    return this.fail('bad-value', `${name}="${raw}" is not a boolean`);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T {
    const v = this.req(name);
    if (!(allowed as readonly string[]).includes(v))
      this.fail('bad-value', `${name}="${v}" is not one of ${allowed.join(', ')}`);
    return v as T;
  }

  /** `Name` + `NameUnit`, the unit defaulting to the schema's default for that attribute. */
  quantity(name: string, kind: UnitKind, defaultUnit: string, positive = false): Quantity | undefined {
    const value = this.float(name, positive);
    const unitRaw = this.str(`${name}Unit`);
    if (value === undefined) return undefined;
    const unit = unitRaw ?? defaultUnit;
    const allowed = kind === 'length' ? LENGTH_UNITS : TIME_UNITS;
    if (!allowed.includes(unit)) this.fail('bad-value', `${name}Unit="${unit}" is not an OME ${kind} unit`);
    return { value, unit };
  }

  /** Attributes not read by the model. */
  extraAttributes(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.attrs)) if (!this.used.has(k)) out[k] = v;
    return out;
  }

  /**
   * Walk element children: a handler returning true consumed the child (a known sibling); everything else is
   * kept as an ExtraChild. Children out of schema order are a strict failure.
   */
  children(
    parent: string,
    handlers: Record<string, (child: XmlNode, reader: ElementReader) => boolean>,
  ): ExtraChild[] {
    const extras: ExtraChild[] = [];
    let known = 0;
    let lastRank = -1;
    let lastName = '';
    const counts: Record<string, number> = {};
    for (const child of elementsOf(this.node)) {
      const tag = tagOf(child) as string;
      const rank = childRank(parent, tag);
      if (rank !== undefined) {
        if (rank < lastRank)
          this.fail('child-order', `<${tag}> comes after <${lastName}>, against the schema's order`);
        lastRank = rank;
        lastName = tag;
      }
      const handler = handlers[tag];
      const index = counts[tag] ?? 0;
      counts[tag] = index + 1;
      const reader = new ElementReader(this.file, `${this.path}/${tag}[${index}]`, child);
      if (handler?.(child, reader)) known++;
      else extras.push({ after: known, node: child });
    }
    return extras;
  }
}

/** An Extra, or undefined when there is nothing extra (keeps models small and comparable). */
export function makeExtra(attributes: Record<string, string>, children: ExtraChild[]): Extra | undefined {
  if (Object.keys(attributes).length === 0 && children.length === 0) return undefined;
  return { attributes, children };
}
