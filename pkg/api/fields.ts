// Field selectors with apimachinery's semantics (pkg/fields/selector.go): comma-separated
// `field=value`, `field==value` or `field!=value` terms, with `\,` `\=` `\\` escapes in values.
// A field an object lacks compares as the empty string.
import { errors } from './errors.js';

export interface FieldRequirement { field: string; operator: '=' | '!='; value: string }

export interface FieldSelector {
  matches(fields: Readonly<Record<string, string>>): boolean;
  isEmpty(): boolean;
  requirements: FieldRequirement[];
  toString(): string;
}

/** fields.EscapeValue: the form a value takes inside a selector string. */
export function escapeValue(v: string): string {
  return v.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/** fields.UnescapeValue; throws a plain Error in upstream's words. */
export function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') throw new Error(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      inSlash = false;
    } else if (c === '\\') {
      inSlash = true;
    } else if (c === ',' || c === '=') {
      // Go formats the rune with %v, which prints its code point.
      throw new Error(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else {
      out += c;
    }
  }
  if (inSlash) throw new Error('invalid field selector: invalid escape sequence: \\');
  return out;
}

// Splits on commas that are not escaped.
function splitTerms(s: string): string[] {
  if (s === '') return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') { terms.push(s.slice(start, i)); start = i + 1; }
  }
  terms.push(s.slice(start));
  return terms;
}

// The first position where an operator starts wins; `!=` before `==` before `=` there.
function splitTerm(term: string): [string, '=' | '==' | '!=', string] | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of ['!=', '==', '='] as const) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

class TermsSelector implements FieldSelector {
  constructor(readonly requirements: FieldRequirement[]) {}
  matches(fields: Readonly<Record<string, string>>): boolean {
    for (const r of this.requirements) {
      const v = Object.hasOwn(fields, r.field) ? fields[r.field] ?? '' : '';
      if ((v === r.value) !== (r.operator === '=')) return false;
    }
    return true;
  }
  isEmpty(): boolean { return this.requirements.length === 0; }
  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator}${escapeValue(r.value)}`).join(',');
  }
}

/** fields.ParseSelector; an invalid selector is a 400 BadRequest with upstream's message. */
export function parseFieldSelector(s: string): FieldSelector {
  // Upstream sorts the raw terms, which fixes the order of requirements and of toString().
  const parts = splitTerms(s).sort();
  const reqs: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const split = splitTerm(part);
    if (!split) throw errors.badRequest(`invalid selector: '${s}'; can't understand '${part}'`);
    const [field, op, rhs] = split;
    let value: string;
    try { value = unescapeValue(rhs); } catch (e) { throw errors.badRequest((e as Error).message); }
    reqs.push({ field, operator: op === '!=' ? '!=' : '=', value });
  }
  return new TermsSelector(reqs);
}

/** fields.SelectorFromSet: every field must equal its value. */
export function fieldSelectorFromSet(set: Readonly<Record<string, string>>): FieldSelector {
  return new TermsSelector(Object.entries(set).map(([field, value]) => ({ field, operator: '=', value })));
}

/** RequiresExactMatch: the value `field=` demands, if the selector has such a term. */
export function exactMatch(sel: FieldSelector, field: string): string | undefined {
  return sel.requirements.find((r) => r.field === field && r.operator === '=')?.value;
}
