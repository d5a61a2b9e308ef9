// Python's json.dumps writes float('nan') and float('inf') as the bare tokens NaN, Infinity and -Infinity,
// which are not JSON, and pandas data holds NaN for every missing value: JSON.parse then only says
// "Unexpected token N at position 312". Such a message is still rejected (non-finite numbers are bad input),
// but as what it is, naming the field and what to send instead.

const NON_FINITE_TOKENS = ["-Infinity", "Infinity", "NaN"] as const;
/** Stands for a non-finite token in the text parsed again; a string no JSON text holds (a lone control char). */
const MARK = "\u0000non-finite:";

/** `text` with every bare NaN / Infinity / -Infinity outside strings replaced by a marked string; undefined if none. */
function markNonFinite(text: string): string | undefined {
  let out = "";
  let from = 0;
  let found = false;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      continue;
    }
    const token = NON_FINITE_TOKENS.find((t) => text.startsWith(t, i));
    if (token === undefined) continue;
    out += `${text.slice(from, i)}${JSON.stringify(MARK + token)}`;
    i += token.length - 1;
    from = i + 1;
    found = true;
  }
  return found ? out + text.slice(from) : undefined;
}

/** The path ("features.a") and token of the first marked value in `value`, depth first in key order. */
function firstMarked(value: unknown, path: string): { field: string; token: string } | undefined {
  if (typeof value === "string") return value.startsWith(MARK) ? { field: path, token: value.slice(MARK.length) } : undefined;
  if (typeof value !== "object" || value === null) return undefined;
  for (const [key, v] of Object.entries(value)) {
    const found = firstMarked(v, path === "" ? key : `${path}.${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * For JSON text that JSON.parse refused: where it holds a bare NaN, Infinity or -Infinity (and would be
 * valid JSON without them), the first such field and token; undefined when the text is invalid otherwise.
 */
export function nonFiniteTokenIn(text: string): { field: string; token: string } | undefined {
  const marked = markNonFinite(text);
  if (marked === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(marked);
  } catch {
    return undefined;
  }
  return firstMarked(parsed, "");
}
