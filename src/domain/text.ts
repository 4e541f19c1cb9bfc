// Text as people (and Meta) count it: characters are Unicode code points, so
// an emoji is one, not two UTF-16 units. Blank means nothing visible once
// whitespace, format characters (zero-width space, joiners, BOM, bidi marks)
// and other default-ignorable code points are set aside: a "reply" of only
// U+200B would arrive at the customer as an empty bubble.

const INVISIBLE = /^[\p{White_Space}\p{Cf}\p{Default_Ignorable_Code_Point}]*$/u;

export function characterCount(value: string): number {
  let n = 0;
  for (const _ of value) n += 1;
  return n;
}

export function isBlank(value: string): boolean {
  return INVISIBLE.test(value);
}

/** Why a text input is refused, or null when it is fine: blank, or over `max` characters. */
export function textProblem(value: string, max: number, what = 'text'): string | null {
  if (isBlank(value)) return `${what} must not be empty or blank`;
  const n = characterCount(value);
  return n > max ? `${what} has ${n} characters; at most ${max} are allowed` : null;
}

/** The serialized size of a JSON value in bytes (UTF-8), for size limits on JSON inputs. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}
