/**
 * The one error this package throws for bad OME-XML. Core wraps it into its own typed errors; it lives here
 * because core depends on this package, not the reverse.
 */

/** Why a document was refused. Stable strings: tests and core switch on them. */
export type OmeXmlErrorReason =
  /** Not well-formed XML. */
  | 'not-xml'
  /** Well-formed, but the root element is not `OME`. */
  | 'not-ome'
  /** Root `OME` is in another (older, misspelt or missing) namespace than 2016-06. */
  | 'namespace'
  /** A required attribute or element of a modelled element is absent. */
  | 'missing-attribute'
  /** A modelled value does not match its schema type (number, enum, unit, range...). */
  | 'bad-value'
  /** An `ID` (or reference to one) does not match the schema's pattern for its type. */
  | 'bad-id'
  /** `AcquisitionDate` is not an xsd:dateTime. */
  | 'bad-date'
  /** Children of a modelled element are out of schema order. */
  | 'child-order'
  /** A unit symbol the converters do not know. */
  | 'unknown-unit';

const BRAND = Symbol.for('@bfio/ome-xml/OmeXmlError');

export class OmeXmlError extends Error {
  override readonly name = 'OmeXmlError';
  /** The file the XML came from, when the caller said (`parseOmeXml(xml, { file })`). */
  readonly file: string | undefined;
  readonly reason: OmeXmlErrorReason;
  /** What is wrong, without the file name. */
  readonly problem: string;
  /** True when the error was raised by the strict parse of the *cleaned* document (cleaning did not help). */
  readonly afterCleaning: boolean;
  readonly [BRAND] = true;

  constructor(
    file: string | undefined,
    reason: OmeXmlErrorReason,
    problem: string,
    options?: { cause?: unknown; afterCleaning?: boolean },
  ) {
    super(
      `${file ?? 'OME-XML'}: ${problem}`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.file = file;
    this.reason = reason;
    this.problem = problem;
    this.afterCleaning = options?.afterCleaning ?? false;
  }

  /** Works across duplicated copies of this package (a brand, not `instanceof`). */
  static isInstance(value: unknown): value is OmeXmlError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}
