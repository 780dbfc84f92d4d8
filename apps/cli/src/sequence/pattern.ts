/**
 * File patterns in the syntax of WIPP / PolusAI `filepattern`: literal text with `{name:spec}` variables,
 * where spec is a run of `d` (one digit each) and `c` (one letter each), or `d+` / `c+` (one or more).
 * `img_r{r:ddd}_c{c:ddd}.ome.tif` matches img_r001_c002.ome.tif with r=1, c=2. Variables stand in the
 * file name only; the folder part is literal.
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { FileNotFoundError, InvalidDataError } from '@bfio/core';

export interface PatternVariable {
  name: string;
  /** Digits-only variables hold numbers; any `c` makes the value a string. */
  numeric: boolean;
  /** Fixed width in characters, or undefined for `d+`/`c+`. */
  width?: number;
}

export interface FilePattern {
  /** The pattern as given (for messages). */
  source: string;
  /** Absolute folder holding the files. */
  dir: string;
  variables: PatternVariable[];
  regex: RegExp;
  /** The file name the pattern gives for these values (for messages about missing files). */
  format(values: Readonly<Record<string, number | string>>): string;
}

export interface PatternMatch {
  /** Absolute path. */
  file: string;
  values: Record<string, number | string>;
}

/** Whether a CLI input is a file pattern rather than a path: it holds a `{name:…}` variable. */
export function isFilePattern(input: string): boolean {
  return /\{[A-Za-z_][A-Za-z0-9_]*:[^}]*\}/.test(input);
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function specRegex(spec: string, pattern: string, name: string): { re: string; variable: PatternVariable } {
  const one = /^([dc])\+$/.exec(spec);
  if (one) {
    const numeric = one[1] === 'd';
    return { re: numeric ? '([0-9]+)' : '([A-Za-z]+)', variable: { name, numeric } };
  }
  if (/^[dc]+$/.test(spec)) {
    const re = [...spec].map((ch) => (ch === 'd' ? '[0-9]' : '[A-Za-z]')).join('');
    return { re: `(${re})`, variable: { name, numeric: !spec.includes('c'), width: spec.length } };
  }
  throw new InvalidDataError(
    `file pattern ${pattern}: variable {${name}:${spec}} has an unknown type '${spec}'; use d (a digit), c (a letter), repeated for a fixed width (ddd), or d+ / c+ for any width`,
    pattern,
  );
}

/** Parses a pattern path; the variables must all be in the file name. */
export function parseFilePattern(source: string): FilePattern {
  const abs = resolve(source);
  const dir = dirname(abs);
  const name = basename(abs);
  if (dir.includes('{') || dir.includes('}'))
    throw new InvalidDataError(
      `file pattern ${source}: variables may stand in the file name only, not in its folder (${dir})`,
      source,
    );
  const variables: PatternVariable[] = [];
  const pieces: Array<string | PatternVariable> = [];
  let re = '';
  let at = 0;
  for (const m of name.matchAll(/\{([^}:]*):?([^}]*)\}/g)) {
    const literal = name.slice(at, m.index);
    if (literal.includes('{') || literal.includes('}'))
      throw new InvalidDataError(`file pattern ${source}: unbalanced '{' or '}'`, source);
    re += escapeRegex(literal);
    pieces.push(literal);
    const varName = m[1]!;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(varName) || !m[0].includes(':'))
      throw new InvalidDataError(
        `file pattern ${source}: '${m[0]}' is not a variable; write {name:ddd} (a name, a colon, a type)`,
        source,
      );
    if (variables.some((v) => v.name === varName))
      throw new InvalidDataError(`file pattern ${source}: variable '${varName}' appears twice`, source);
    const { re: part, variable } = specRegex(m[2]!, source, varName);
    re += part;
    variables.push(variable);
    pieces.push(variable);
    at = m.index + m[0].length;
  }
  const tail = name.slice(at);
  if (tail.includes('{') || tail.includes('}'))
    throw new InvalidDataError(`file pattern ${source}: unbalanced '{' or '}'`, source);
  re += escapeRegex(tail);
  pieces.push(tail);
  if (variables.length === 0)
    throw new InvalidDataError(`file pattern ${source} has no {name:type} variable`, source);
  const format = (values: Readonly<Record<string, number | string>>) =>
    pieces
      .map((p) =>
        typeof p === 'string'
          ? p
          : p.numeric && p.width
            ? String(values[p.name]).padStart(p.width, '0')
            : String(values[p.name]),
      )
      .join('');
  return { source, dir, variables, regex: new RegExp(`^${re}$`), format };
}

/** The files of the pattern's folder that match it, sorted by name, with their variables' values. */
export async function matchFiles(pattern: FilePattern): Promise<PatternMatch[]> {
  const names = await readdir(pattern.dir).catch(() => {
    throw new FileNotFoundError(pattern.dir);
  });
  const matches: PatternMatch[] = [];
  for (const name of names.sort()) {
    const m = pattern.regex.exec(name);
    if (!m) continue;
    const values: Record<string, number | string> = {};
    pattern.variables.forEach((v, i) => {
      values[v.name] = v.numeric ? Number(m[i + 1]) : m[i + 1]!;
    });
    matches.push({ file: join(pattern.dir, name), values });
  }
  if (matches.length === 0)
    throw new InvalidDataError(
      `file pattern ${pattern.source} matches no file in ${pattern.dir}; check the folder and the literal text (a {name:ddd} variable takes exactly 3 digits, {name:d+} any number)`,
      pattern.source,
    );
  return matches;
}
