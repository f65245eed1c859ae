/**
 * A small GraphQL reader for the Admin API stand-in: enough of the spec's syntax (operations,
 * variables with defaults, aliases, arguments, named and inline fragments, block strings) to answer
 * the queries an app sends. It does not validate against Shopify's schema: unknown root fields are
 * answered the way Shopify does, unknown nested fields read as null.
 */

export type Value =
  | { kind: 'variable'; name: string }
  | { kind: 'literal'; value: unknown }
  | { kind: 'list'; values: Value[] }
  | { kind: 'object'; fields: Record<string, Value> };

export type FieldSelection = {
  kind: 'field';
  name: string;
  alias?: string;
  args: Record<string, Value>;
  selections: Selection[];
};

export type Selection =
  | FieldSelection
  | { kind: 'fragment'; typeCondition?: string; selections: Selection[] }
  | { kind: 'spread'; name: string };

export type Operation = {
  type: 'query' | 'mutation';
  name?: string;
  /** Variable name → its default value, if declared with one. */
  variableDefaults: Record<string, Value | undefined>;
  selections: Selection[];
};

export type GraphqlDocument = {
  operations: Operation[];
  fragments: Record<string, { typeCondition: string; selections: Selection[] }>;
};

/** A syntax error, answered as GraphQL `errors` (Shopify answers parse errors with HTTP 200). */
export class GraphqlSyntaxError extends Error {
  override name = 'GraphqlSyntaxError';
}

type Token = { kind: 'punct' | 'name' | 'number' | 'string'; text: string };

const PUNCTUATORS = new Set(['{', '}', '(', ')', ':', '$', '!', '[', ']', '=', '@', '|', '&']);

const blockString = (raw: string): string => {
  // The spec's block-string dedent: drop the common indentation and blank first/last lines.
  const lines = raw.replace(/\\"""/g, '"""').split(/\r\n|\n|\r/);
  const indents = lines
    .slice(1)
    .filter((line) => line.trim().length > 0)
    .map((line) => line.length - line.trimStart().length);
  const common = indents.length ? Math.min(...indents) : 0;
  const dedented = lines.map((line, i) => (i === 0 ? line : line.slice(common)));
  while (dedented.length && (dedented[0] ?? '').trim() === '') dedented.shift();
  while (dedented.length && (dedented.at(-1) ?? '').trim() === '') dedented.pop();
  return dedented.join('\n');
};

const tokenize = (source: string): Token[] => {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i] ?? '';
    if (/[\s,\uFEFF]/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (source.startsWith('...', i)) {
      tokens.push({ kind: 'punct', text: '...' });
      i += 3;
    } else if (PUNCTUATORS.has(c)) {
      tokens.push({ kind: 'punct', text: c });
      i++;
    } else if (source.startsWith('"""', i)) {
      let end = i + 3;
      while (end < source.length && !(source.startsWith('"""', end) && source[end - 1] !== '\\')) end++;
      if (end >= source.length) throw new GraphqlSyntaxError('Unterminated block string');
      tokens.push({ kind: 'string', text: blockString(source.slice(i + 3, end)) });
      i = end + 3;
    } else if (c === '"') {
      let end = i + 1;
      while (end < source.length && source[end] !== '"') end += source[end] === '\\' ? 2 : 1;
      if (end >= source.length) throw new GraphqlSyntaxError('Unterminated string');
      // A GraphQL string's escapes are JSON's (\uXXXX, \n, \", ...).
      tokens.push({ kind: 'string', text: JSON.parse(source.slice(i, end + 1)) as string });
      i = end + 1;
    } else if (/[-\d]/.test(c)) {
      const match = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(source.slice(i));
      if (!match) throw new GraphqlSyntaxError(`Unexpected character "${c}"`);
      tokens.push({ kind: 'number', text: match[0] });
      i += match[0].length;
    } else if (/[_A-Za-z]/.test(c)) {
      const match = /^[_A-Za-z][_0-9A-Za-z]*/.exec(source.slice(i));
      const text = match?.[0] ?? c;
      tokens.push({ kind: 'name', text });
      i += text.length;
    } else {
      throw new GraphqlSyntaxError(`Unexpected character "${c}"`);
    }
  }
  return tokens;
};

class Reader {
  private position = 0;
  private readonly tokens: Token[];

  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  peek(offset = 0): Token | undefined {
    return this.tokens[this.position + offset];
  }

  atEnd(): boolean {
    return this.position >= this.tokens.length;
  }

  next(): Token {
    const token = this.tokens[this.position++];
    if (!token) throw new GraphqlSyntaxError('Unexpected end of document');
    return token;
  }

  is(text: string): boolean {
    const token = this.peek();
    return token !== undefined && token.kind !== 'string' && token.text === text;
  }

  skip(text: string): boolean {
    if (!this.is(text)) return false;
    this.position++;
    return true;
  }

  expect(text: string): void {
    const token = this.next();
    if (token.text !== text || token.kind === 'string')
      throw new GraphqlSyntaxError(`Expected "${text}", found "${token.text}"`);
  }

  name(): string {
    const token = this.next();
    if (token.kind !== 'name') throw new GraphqlSyntaxError(`Expected a name, found "${token.text}"`);
    return token.text;
  }
}

const readValue = (reader: Reader, constant = false): Value => {
  if (reader.skip('$')) {
    if (constant) throw new GraphqlSyntaxError('Variables are not allowed here');
    return { kind: 'variable', name: reader.name() };
  }
  if (reader.skip('[')) {
    const values: Value[] = [];
    while (!reader.skip(']')) values.push(readValue(reader, constant));
    return { kind: 'list', values };
  }
  if (reader.skip('{')) {
    const fields: Record<string, Value> = {};
    while (!reader.skip('}')) {
      const name = reader.name();
      reader.expect(':');
      fields[name] = readValue(reader, constant);
    }
    return { kind: 'object', fields };
  }
  const token = reader.next();
  if (token.kind === 'string') return { kind: 'literal', value: token.text };
  if (token.kind === 'number') return { kind: 'literal', value: Number(token.text) };
  if (token.kind === 'name') {
    if (token.text === 'true' || token.text === 'false')
      return { kind: 'literal', value: token.text === 'true' };
    if (token.text === 'null') return { kind: 'literal', value: null };
    return { kind: 'literal', value: token.text }; // an enum value
  }
  throw new GraphqlSyntaxError(`Unexpected "${token.text}"`);
};

const skipDirectives = (reader: Reader): void => {
  while (reader.skip('@')) {
    reader.name();
    if (reader.skip('(')) while (!reader.skip(')')) readArgument(reader);
  }
};

const readArgument = (reader: Reader): [string, Value] => {
  const name = reader.name();
  reader.expect(':');
  return [name, readValue(reader)];
};

const skipType = (reader: Reader): void => {
  if (reader.skip('[')) {
    skipType(reader);
    reader.expect(']');
  } else {
    reader.name();
  }
  reader.skip('!');
};

const readSelections = (reader: Reader): Selection[] => {
  reader.expect('{');
  const selections: Selection[] = [];
  while (!reader.skip('}')) {
    if (reader.skip('...')) {
      if (reader.is('on') && reader.peek(1)?.kind === 'name') {
        reader.next();
        const typeCondition = reader.name();
        skipDirectives(reader);
        selections.push({ kind: 'fragment', typeCondition, selections: readSelections(reader) });
      } else if (reader.is('{') || reader.is('@')) {
        skipDirectives(reader);
        selections.push({ kind: 'fragment', selections: readSelections(reader) });
      } else {
        selections.push({ kind: 'spread', name: reader.name() });
        skipDirectives(reader);
      }
      continue;
    }
    let name = reader.name();
    let alias: string | undefined;
    if (reader.skip(':')) {
      alias = name;
      name = reader.name();
    }
    const args: Record<string, Value> = {};
    if (reader.skip('(')) {
      while (!reader.skip(')')) {
        const [argName, value] = readArgument(reader);
        args[argName] = value;
      }
    }
    skipDirectives(reader);
    const children = reader.is('{') ? readSelections(reader) : [];
    selections.push({ kind: 'field', name, ...(alias ? { alias } : {}), args, selections: children });
  }
  return selections;
};

const readOperation = (reader: Reader): Operation => {
  if (reader.is('{')) return { type: 'query', variableDefaults: {}, selections: readSelections(reader) };
  const keyword = reader.name();
  if (keyword !== 'query' && keyword !== 'mutation')
    throw new GraphqlSyntaxError(`Unsupported operation "${keyword}"`);
  const name = reader.peek()?.kind === 'name' ? reader.name() : undefined;
  const variableDefaults: Record<string, Value | undefined> = {};
  if (reader.skip('(')) {
    while (!reader.skip(')')) {
      reader.expect('$');
      const variable = reader.name();
      reader.expect(':');
      skipType(reader);
      variableDefaults[variable] = reader.skip('=') ? readValue(reader, true) : undefined;
      skipDirectives(reader);
    }
  }
  skipDirectives(reader);
  return { type: keyword, ...(name ? { name } : {}), variableDefaults, selections: readSelections(reader) };
};

/** Parses a GraphQL document; throws `GraphqlSyntaxError` on what it cannot read. */
export const parseGraphql = (source: string): GraphqlDocument => {
  const reader = new Reader(tokenize(source));
  const document: GraphqlDocument = { operations: [], fragments: {} };
  while (!reader.atEnd()) {
    if (reader.is('fragment')) {
      reader.next();
      const name = reader.name();
      if (reader.name() !== 'on') throw new GraphqlSyntaxError('Expected "on" in a fragment definition');
      const typeCondition = reader.name();
      skipDirectives(reader);
      document.fragments[name] = { typeCondition, selections: readSelections(reader) };
    } else {
      document.operations.push(readOperation(reader));
    }
  }
  if (document.operations.length === 0) throw new GraphqlSyntaxError('No operation in the document');
  return document;
};

/** An argument's value with the request's variables put in (a declared default when one is missing). */
export const argumentValue = (
  value: Value | undefined,
  variables: Record<string, unknown>,
  defaults: Record<string, Value | undefined> = {},
): unknown => {
  if (value === undefined) return undefined;
  switch (value.kind) {
    case 'variable':
      return value.name in variables
        ? variables[value.name]
        : argumentValue(defaults[value.name], variables, defaults);
    case 'literal':
      return value.value;
    case 'list':
      return value.values.map((v) => argumentValue(v, variables, defaults));
    case 'object':
      return Object.fromEntries(
        Object.entries(value.fields).map(([k, v]) => [k, argumentValue(v, variables, defaults)]),
      );
  }
};
