// JSON with positions: jsonc-parser's syntax tree as line:column per JSON Pointer, plus the duplicate keys.
// JSON.parse reports neither positions (on Node 20) nor duplicate keys; manifests need both (docs/decisions.md).
import jsonc from 'jsonc-parser';
import { LineCounter } from 'yaml';

export interface Position {
  line: number;
  column: number;
}

export interface Located {
  /** Where the member's key starts (absent for the root and array items). */
  key?: Position;
  value: Position;
}

export interface JsonParseResult {
  value?: unknown;
  /** JSON Pointer (RFC 6901, '' for the root) → positions. */
  positions: Map<string, Located>;
  error?: { message: string; at: Position };
  duplicates: { pointer: string; at: Position }[];
}

/** Strict JSON: jsonc-parser's extensions (comments, trailing commas, empty text) are errors here. */
const STRICT: jsonc.ParseOptions = {
  disallowComments: true,
  allowTrailingComma: false,
  allowEmptyContent: false,
};

export function pointerOf(parent: string, key: string | number): string {
  return `${parent}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

export function parseJsonWithPositions(text: string): JsonParseResult {
  // A UTF-8 BOM is tolerated (editors on Windows add it) and does not count as a column.
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (let i = src.indexOf('\n'); i !== -1; i = src.indexOf('\n', i + 1)) lines.addNewLine(i + 1);
  const at = (offset: number): Position => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  const positions = new Map<string, Located>();
  const duplicates: JsonParseResult['duplicates'] = [];

  const walk = (node: jsonc.Node, pointer: string, key?: Position): void => {
    positions.set(pointer, key ? { key, value: at(node.offset) } : { value: at(node.offset) });
    if (node.type === 'array') node.children?.forEach((item, index) => walk(item, pointerOf(pointer, index)));
    if (node.type !== 'object') return;
    const seen = new Set<string>();
    for (const [name, value] of (node.children ?? []).map((member) => member.children ?? [])) {
      if (!name || !value) continue;
      const child = pointerOf(pointer, String(name.value));
      const keyAt = at(name.offset);
      if (seen.has(child)) duplicates.push({ pointer: child, at: keyAt });
      seen.add(child);
      walk(value, child, keyAt);
    }
  };

  try {
    const errors: jsonc.ParseError[] = [];
    const root = jsonc.parseTree(src, errors, STRICT);
    const first = errors[0];
    if (first)
      return { positions, duplicates, error: { message: describe(first, src), at: at(first.offset) } };
    if (root) walk(root, '');
    // The value comes from JSON.parse: it is the reference reader, and it keeps `__proto__` an own key.
    return { value: JSON.parse(src) as unknown, positions, duplicates };
  } catch (err) {
    if (err instanceof RangeError)
      return { positions, duplicates, error: { message: 'nesting too deep', at: at(0) } };
    // jsonc-parser takes a few characters JSON does not (e.g. a no-break space between tokens).
    if (err instanceof SyntaxError)
      return { positions, duplicates, error: { message: err.message, at: at(0) } };
    throw err;
  }
}

/** The parser's error code in words, with the character it stopped at. */
function describe(error: jsonc.ParseError, src: string): string {
  const found = error.offset >= src.length ? 'end of input' : `'${src[error.offset]}'`;
  const closing = src[error.offset] === '}' || src[error.offset] === ']';
  const trailing = closing && /,\s*$/.test(src.slice(0, error.offset)) ? ' (trailing comma?)' : '';
  switch (jsonc.printParseErrorCode(error.error)) {
    case 'PropertyNameExpected':
      return `expected a quoted key, found ${found}${trailing}`;
    case 'ValueExpected':
      return `expected a value, found ${found}${trailing}`;
    case 'ColonExpected':
      return `expected ':' after key, found ${found}`;
    case 'CommaExpected':
    case 'CloseBraceExpected':
    case 'CloseBracketExpected':
      return `expected ',' or a closing bracket, found ${found}`;
    case 'EndOfFileExpected':
      return `unexpected ${found} after the JSON value`;
    case 'InvalidCommentToken':
      return 'comments are not allowed in JSON';
    case 'UnexpectedEndOfString':
      return 'unterminated string';
    case 'InvalidCharacter':
      return 'control character in string (escape it)';
    case 'InvalidEscapeCharacter':
    case 'InvalidUnicode':
      return 'invalid escape in string';
    case 'InvalidNumberFormat':
    case 'UnexpectedEndOfNumber':
      return 'invalid number';
    default:
      return `unexpected ${found}`;
  }
}
