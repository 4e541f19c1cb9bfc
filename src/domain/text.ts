// Text as people (and Meta) count it: characters are Unicode code points, so
// an emoji is one, not two UTF-16 units. Blank means nothing visible once
// whitespace, format characters (zero-width space, joiners, BOM, bidi marks)
// and other default-ignorable code points are set aside: a "reply" of only
// U+200B would arrive at the customer as an empty bubble.
import { badInput } from './errors.js';

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

/** Search boxes (conversations, canned responses, templates): what a person types, not a document. */
export const MAX_SEARCH_LENGTH = 200;

/** A required text input, checked by textProblem; throws BAD_USER_INPUT naming `field`. */
export function requireText(value: string, max: number, field: string, what = field): string {
  const problem = textProblem(value, max, what);
  if (problem) throw badInput(problem, field);
  return value;
}

/**
 * An optional input where blank means "none" (a search box, a note to a
 * colleague): null when absent or nothing visible is in it, else the trimmed
 * value if it has at most `max` characters.
 */
export function optionalText(value: string | null | undefined, max: number, field: string, what = field): string | null {
  if (value == null || isBlank(value)) return null;
  const trimmed = value.trim();
  const n = characterCount(trimmed);
  if (n > max) throw badInput(`${what} has ${n} characters; at most ${max} are allowed`, field);
  return trimmed;
}

/** A search box's text: null when blank, at most MAX_SEARCH_LENGTH characters. */
export function searchTerm(value: string | null | undefined, field = 'search'): string | null {
  return optionalText(value, MAX_SEARCH_LENGTH, field, 'search');
}
