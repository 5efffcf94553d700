// The partial tool input of a `tool-part` while its `tool-input-delta`s stream (PROTOCOL §UI
// messages): the AI SDK shows `input` as the JSON text so far, closed by a repair pass and
// parsed. The same algorithm as the SDK's `fixJson` / `parsePartialJson` (7.x), so that runlog's
// UIMessages equal the SDK's at every delta; the differential tests hold the two together.

type Frame =
  | 'ROOT' | 'FINISH'
  | 'INSIDE_STRING' | 'INSIDE_STRING_ESCAPE' | 'INSIDE_STRING_UNICODE_ESCAPE'
  | 'INSIDE_LITERAL' | 'INSIDE_NUMBER'
  | 'INSIDE_OBJECT_START' | 'INSIDE_OBJECT_KEY' | 'INSIDE_OBJECT_AFTER_KEY' | 'INSIDE_OBJECT_BEFORE_VALUE'
  | 'INSIDE_OBJECT_AFTER_VALUE' | 'INSIDE_OBJECT_AFTER_COMMA'
  | 'INSIDE_ARRAY_START' | 'INSIDE_ARRAY_AFTER_VALUE' | 'INSIDE_ARRAY_AFTER_COMMA';

const isHexDigit = (c: string): boolean => (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
const isDigit = (c: string): boolean => c >= '0' && c <= '9';

/** Cuts `input` after its last complete token and closes what is open: a JSON text, if the prefix was one. */
export function fixJson(input: string): string {
  const stack: Frame[] = ['ROOT'];
  let lastValidIndex = -1;
  let literalStart = 0;
  let unicodeDigits = 0;
  const swap = (next: Frame, push: Frame): void => {
    stack.pop();
    stack.push(next, push);
  };
  const top = (): Frame | undefined => stack[stack.length - 1];

  function valueStart(c: string, i: number, after: Frame): void {
    if (c === '"') {
      lastValidIndex = i;
      swap(after, 'INSIDE_STRING');
    } else if (c === 'f' || c === 't' || c === 'n') {
      lastValidIndex = i;
      literalStart = i;
      swap(after, 'INSIDE_LITERAL');
    } else if (c === '-') {
      swap(after, 'INSIDE_NUMBER');
    } else if (isDigit(c)) {
      lastValidIndex = i;
      swap(after, 'INSIDE_NUMBER');
    } else if (c === '{') {
      lastValidIndex = i;
      swap(after, 'INSIDE_OBJECT_START');
    } else if (c === '[') {
      lastValidIndex = i;
      swap(after, 'INSIDE_ARRAY_START');
    }
  }
  function afterObjectValue(c: string, i: number): void {
    if (c === ',') {
      stack.pop();
      stack.push('INSIDE_OBJECT_AFTER_COMMA');
    } else if (c === '}') {
      lastValidIndex = i;
      stack.pop();
    }
  }
  function afterArrayValue(c: string, i: number): void {
    if (c === ',') {
      stack.pop();
      stack.push('INSIDE_ARRAY_AFTER_COMMA');
    } else if (c === ']') {
      lastValidIndex = i;
      stack.pop();
    }
  }
  const replace = (frame: Frame): void => {
    stack.pop();
    stack.push(frame);
  };

  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    switch (top()) {
      case 'ROOT':
        valueStart(c, i, 'FINISH');
        break;
      case 'INSIDE_OBJECT_START':
        if (c === '"') replace('INSIDE_OBJECT_KEY');
        else if (c === '}') {
          lastValidIndex = i;
          stack.pop();
        }
        break;
      case 'INSIDE_OBJECT_AFTER_COMMA':
        if (c === '"') replace('INSIDE_OBJECT_KEY');
        break;
      case 'INSIDE_OBJECT_KEY':
        if (c === '"') replace('INSIDE_OBJECT_AFTER_KEY');
        break;
      case 'INSIDE_OBJECT_AFTER_KEY':
        if (c === ':') replace('INSIDE_OBJECT_BEFORE_VALUE');
        break;
      case 'INSIDE_OBJECT_BEFORE_VALUE':
        valueStart(c, i, 'INSIDE_OBJECT_AFTER_VALUE');
        break;
      case 'INSIDE_OBJECT_AFTER_VALUE':
        afterObjectValue(c, i);
        break;
      case 'INSIDE_STRING':
        if (c === '"') {
          stack.pop();
          lastValidIndex = i;
        } else if (c === '\\') {
          stack.push('INSIDE_STRING_ESCAPE');
        } else {
          lastValidIndex = i;
        }
        break;
      case 'INSIDE_ARRAY_START':
        if (c === ']') {
          lastValidIndex = i;
          stack.pop();
        } else {
          valueStart(c, i, 'INSIDE_ARRAY_AFTER_VALUE');
        }
        break;
      case 'INSIDE_ARRAY_AFTER_VALUE':
        if (c === ',') replace('INSIDE_ARRAY_AFTER_COMMA');
        else if (c === ']') {
          lastValidIndex = i;
          stack.pop();
        } else {
          lastValidIndex = i;
        }
        break;
      case 'INSIDE_ARRAY_AFTER_COMMA':
        valueStart(c, i, 'INSIDE_ARRAY_AFTER_VALUE');
        break;
      case 'INSIDE_STRING_ESCAPE':
        stack.pop();
        if (c === 'u') {
          unicodeDigits = 0;
          stack.push('INSIDE_STRING_UNICODE_ESCAPE');
        } else {
          lastValidIndex = i;
        }
        break;
      case 'INSIDE_STRING_UNICODE_ESCAPE':
        if (isHexDigit(c)) {
          unicodeDigits++;
          if (unicodeDigits === 4) {
            stack.pop();
            lastValidIndex = i;
          }
        }
        break;
      case 'INSIDE_NUMBER':
        if (isDigit(c)) {
          lastValidIndex = i;
        } else if (c === 'e' || c === 'E' || c === '-' || c === '.') {
          // part of a number, but not a complete one yet
        } else if (c === ',') {
          stack.pop();
          if (top() === 'INSIDE_ARRAY_AFTER_VALUE') afterArrayValue(c, i);
          if (top() === 'INSIDE_OBJECT_AFTER_VALUE') afterObjectValue(c, i);
        } else if (c === '}') {
          stack.pop();
          if (top() === 'INSIDE_OBJECT_AFTER_VALUE') afterObjectValue(c, i);
        } else if (c === ']') {
          stack.pop();
          if (top() === 'INSIDE_ARRAY_AFTER_VALUE') afterArrayValue(c, i);
        } else {
          stack.pop();
        }
        break;
      case 'INSIDE_LITERAL': {
        const partial = input.substring(literalStart, i + 1);
        if (!'false'.startsWith(partial) && !'true'.startsWith(partial) && !'null'.startsWith(partial)) {
          stack.pop();
          if (top() === 'INSIDE_OBJECT_AFTER_VALUE') afterObjectValue(c, i);
          else if (top() === 'INSIDE_ARRAY_AFTER_VALUE') afterArrayValue(c, i);
        } else {
          lastValidIndex = i;
        }
        break;
      }
      default:
        break;
    }
  }

  let result = input.slice(0, lastValidIndex + 1);
  for (let i = stack.length - 1; i >= 0; i--) {
    switch (stack[i]) {
      case 'INSIDE_STRING':
        result += '"';
        break;
      case 'INSIDE_OBJECT_KEY':
      case 'INSIDE_OBJECT_AFTER_KEY':
      case 'INSIDE_OBJECT_AFTER_COMMA':
      case 'INSIDE_OBJECT_START':
      case 'INSIDE_OBJECT_BEFORE_VALUE':
      case 'INSIDE_OBJECT_AFTER_VALUE':
        result += '}';
        break;
      case 'INSIDE_ARRAY_START':
      case 'INSIDE_ARRAY_AFTER_COMMA':
      case 'INSIDE_ARRAY_AFTER_VALUE':
        result += ']';
        break;
      case 'INSIDE_LITERAL': {
        const partial = input.substring(literalStart, input.length);
        if ('true'.startsWith(partial)) result += 'true'.slice(partial.length);
        else if ('false'.startsWith(partial)) result += 'false'.slice(partial.length);
        else if ('null'.startsWith(partial)) result += 'null'.slice(partial.length);
        break;
      }
      default:
        break;
    }
  }
  return result;
}

const PROTO_KEY = /"(?:_|\\u005[Ff])(?:_|\\u005[Ff])(?:p|\\u0070)(?:r|\\u0072)(?:o|\\u006[Ff])(?:t|\\u0074)(?:o|\\u006[Ff])(?:_|\\u005[Ff])(?:_|\\u005[Ff])"\s*:/;
const CONSTRUCTOR_KEY = /"(?:c|\\u0063)(?:o|\\u006[Ff])(?:n|\\u006[Ee])(?:s|\\u0073)(?:t|\\u0074)(?:r|\\u0072)(?:u|\\u0075)(?:c|\\u0063)(?:t|\\u0074)(?:o|\\u006[Ff])(?:r|\\u0072)"\s*:/;

/**
 * JSON.parse that refuses a `__proto__` key, or a `constructor` key holding an object with a
 * `prototype` — as the SDK's secure parse does, so a partial input the SDK drops is dropped here.
 */
function secureParse(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (value === null || typeof value !== 'object') return value;
  if (!PROTO_KEY.test(text) && !CONSTRUCTOR_KEY.test(text)) return value;
  let next: object[] = [value];
  while (next.length > 0) {
    const nodes = next;
    next = [];
    for (const node of nodes) {
      if (Object.hasOwn(node, '__proto__')) throw new SyntaxError('Object contains forbidden prototype property');
      const ctor = Object.hasOwn(node, 'constructor') ? (node as { constructor: unknown }).constructor : undefined;
      if (ctor !== null && typeof ctor === 'object' && Object.hasOwn(ctor, 'prototype')) throw new SyntaxError('Object contains forbidden prototype property');
      for (const key in node) {
        const child = (node as Record<string, unknown>)[key];
        if (child && typeof child === 'object') next.push(child);
      }
    }
  }
  return value;
}

/** The value of a JSON text that may be cut anywhere: parsed whole, else repaired, else undefined. */
export function parsePartialJson(text: string): unknown {
  try {
    return secureParse(text);
  } catch {
    // not complete yet: repair below
  }
  try {
    return secureParse(fixJson(text));
  } catch {
    return undefined;
  }
}
