/**
 * A package entry point's public surface as the TypeScript compiler sees it: every exported name with its
 * kind (class, interface, type, function, const, namespace, ...), types included. A runtime
 * `Object.keys(await import(...))` misses every interface and type alias; API snapshot tests use this instead,
 * so a type added, removed or turned into another kind shows in review.
 */
import ts from 'typescript';

/** The kinds a symbol declares, e.g. 'class', 'interface', 'const+type' (a value and a type of one name). */
function kindsOf(symbol: ts.Symbol): string {
  const f = symbol.flags;
  const kinds: string[] = [];
  if (f & ts.SymbolFlags.Class) kinds.push('class');
  if (f & ts.SymbolFlags.Interface) kinds.push('interface');
  if (f & ts.SymbolFlags.TypeAlias) kinds.push('type');
  if (f & ts.SymbolFlags.Enum) kinds.push('enum');
  if (f & ts.SymbolFlags.Function) kinds.push('function');
  if (f & (ts.SymbolFlags.ValueModule | ts.SymbolFlags.NamespaceModule)) kinds.push('namespace');
  if (f & ts.SymbolFlags.Variable) {
    const decl = symbol.valueDeclaration ?? symbol.declarations?.[0];
    const isConst = decl !== undefined && (ts.getCombinedNodeFlags(decl) & ts.NodeFlags.Const) !== 0;
    kinds.push(isConst ? 'const' : 'let');
  }
  return kinds.join('+') || 'unknown';
}

/**
 * `name: kind` for every export of each entry file (absolute paths), sorted by name; one compiler program
 * for all of them. Aliases (re-exports) are followed to the declaration they name.
 */
export function apiSurface(entries: string[]): Record<string, string[]> {
  const program = ts.createProgram(entries, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const out: Record<string, string[]> = {};
  for (const entry of entries) {
    const source = program.getSourceFile(entry);
    if (!source) throw new Error(`${entry} is not in the program`);
    const moduleSymbol = checker.getSymbolAtLocation(source);
    if (!moduleSymbol) throw new Error(`${entry} is not a module`);
    out[entry] = checker
      .getExportsOfModule(moduleSymbol)
      .map((s) => {
        const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
        return `${s.getName()}: ${kindsOf(target)}`;
      })
      .sort();
  }
  return out;
}
