// Label selectors with apimachinery's semantics (pkg/labels/selector.go and metav1 helpers):
// the query-string syntax kubectl sends, LabelSelector objects from specs, and the exact
// error wording a client sees when a selector is rejected.
import { memoize } from './memoize.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { errors } from './errors.js';

export interface Selector {
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
  isEmpty(): boolean;
  toString(): string;
}

export type Operator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface Requirement { key: string; operator: Operator; values: string[] }

type Labels = Readonly<Record<string, string>> | undefined;

function lookup(labels: Labels, key: string): string | undefined {
  return labels !== undefined && Object.hasOwn(labels, key) ? labels[key] : undefined;
}

// Each requirement compiles to one closure so matching a watch event costs no allocation.
function compile(r: Requirement): (labels: Labels) => boolean {
  const { key, values } = r;
  const one = values[0] ?? '';
  const set = values.length > 1 ? new Set(values) : undefined;
  const has = set ? (v: string) => set.has(v) : (v: string) => v === one;
  switch (r.operator) {
    case '=': case '==': case 'in':
      return (l) => { const v = lookup(l, key); return v !== undefined && has(v); };
    case '!=': case 'notin':
      return (l) => { const v = lookup(l, key); return v === undefined || !has(v); };
    case 'exists': return (l) => lookup(l, key) !== undefined;
    case '!': return (l) => lookup(l, key) === undefined;
    case 'gt': case 'lt': {
      const want = Number.parseInt(one, 10);
      return (l) => {
        const v = lookup(l, key);
        if (v === undefined || !/^[+-]?\d+$/.test(v)) return false;
        const n = Number.parseInt(v, 10);
        return r.operator === 'gt' ? n > want : n < want;
      };
    }
  }
}

function requirementString(r: Requirement): string {
  const vals = r.values.length === 1 ? r.values[0] ?? '' : [...r.values].sort().join(',');
  switch (r.operator) {
    case 'exists': return r.key;
    case '!': return `!${r.key}`;
    case 'in': return `${r.key} in (${vals})`;
    case 'notin': return `${r.key} notin (${vals})`;
    case 'gt': return `${r.key}>${vals}`;
    case 'lt': return `${r.key}<${vals}`;
    default: return `${r.key}${r.operator}${vals}`;
  }
}

class RequirementsSelector implements Selector {
  private readonly tests: ((labels: Labels) => boolean)[];
  constructor(readonly requirements: readonly Requirement[]) {
    this.tests = requirements.map(compile);
  }
  matches(labels: Labels): boolean {
    for (const test of this.tests) if (!test(labels)) return false;
    return true;
  }
  isEmpty(): boolean { return this.requirements.length === 0; }
  toString(): string { return this.requirements.map(requirementString).join(','); }
  /** The single value `key` must equal, as RequiresExactMatch reports it. */
  exactMatch(key: string): string | undefined {
    const r = this.requirements.find((x) => x.key === key);
    if (!r || !['=', '==', 'in'].includes(r.operator) || r.values.length !== 1) return undefined;
    return r.values[0];
  }
}

const NOTHING: Selector = { matches: () => false, isEmpty: () => false, toString: () => '' };
const EVERYTHING: Selector = new RequirementsSelector([]);

/** Everything and Nothing, as labels.Everything() / labels.Nothing(). */
export function everything(): Selector { return EVERYTHING; }
export function nothing(): Selector { return NOTHING; }

function sortedByKey(reqs: Requirement[]): Requirement[] {
  return reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

// --- validation, in apimachinery's util/validation words ---

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function regexError(msg: string, fmt: string, ...examples: string[]): string {
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}

const QUALIFIED_NAME_MSG = regexError(
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
  '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]', 'MyName', 'my.name', '123-abc');

/** validation.IsQualifiedName: the problems with a label key, empty when valid. */
export const labelKeyErrors = memoize((key: string): readonly string[] => {
  const errs: string[] = [];
  const parts = key.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0] ?? '';
  } else if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else {
      if (prefix.length > 253) errs.push('prefix part must be no more than 253 characters');
      if (!DNS1123_SUBDOMAIN.test(prefix)) {
        errs.push(`prefix part ${regexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
          '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*', 'example.com')}`);
      }
    }
  } else {
    return Object.freeze([`a qualified name ${QUALIFIED_NAME_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`]);
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  if (!QUALIFIED_NAME.test(name)) errs.push(`name part ${QUALIFIED_NAME_MSG}`);
  return Object.freeze(errs);
});

/** validation.IsValidLabelValue: the problems with a label value, empty when valid. */
export const labelValueErrors = memoize((value: string): readonly string[] => {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!LABEL_VALUE.test(value)) {
    errs.push(regexError("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
      '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?', 'MyValue', 'my_value', '12345'));
  }
  return Object.freeze(errs);
});

// field.Error.Error(): `<path>: Invalid value: "<value>": <detail>`.
function invalid(path: string, value: string, detail: string): string {
  return `${path}: Invalid value: ${JSON.stringify(value)}: ${detail}`;
}

function keyError(key: string, path: string): string | undefined {
  const errs = labelKeyErrors(key);
  return errs.length ? invalid(path, key, errs.join('; ')) : undefined;
}

// NewRequirement's checks; several problems aggregate as `[a, b]` like utilerrors.Aggregate.
function newRequirement(key: string, operator: Operator, values: string[]): Requirement {
  const errs: string[] = [];
  const ke = keyError(key, 'key');
  if (ke) errs.push(ke);
  const goList = `[]string{${values.map((v) => JSON.stringify(v)).join(', ')}}`;
  const bad = (detail: string) => errs.push(`values: Invalid value: ${goList}: ${detail}`);
  switch (operator) {
    case 'in': case 'notin':
      if (values.length === 0) bad("for 'in', 'notin' operators, values set can't be empty");
      break;
    case '=': case '==': case '!=':
      if (values.length !== 1) bad('exact-match compatibility requires one single value');
      break;
    case 'exists': case '!':
      if (values.length !== 0) bad('values set must be empty for exists and does not exist');
      break;
    case 'gt': case 'lt':
      if (values.length !== 1) bad("for 'Gt', 'Lt' operators, exactly one value is required");
      values.forEach((v, i) => {
        if (!/^[+-]?\d+$/.test(v)) errs.push(invalid(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
  }
  values.forEach((v, i) => {
    const ve = labelValueErrors(v);
    if (ve.length) errs.push(invalid(`values[${i}][${key}]`, v, ve.join('; ')));
  });
  if (errs.length === 1) throw new Error(errs[0]);
  if (errs.length > 1) throw new Error(`[${errs.join(', ')}]`);
  return { key, operator, values };
}

// --- the lexer and parser of the query syntax ---

type Tok = 'end' | ')' | ',' | '!' | '==' | '=' | '>' | 'id' | 'in' | '<' | '!=' | 'notin' | '(' | 'error';
interface Item { tok: Tok; lit: string }

const SYMBOLS = new Set(['=', '!', '(', ')', ',', '>', '<']);
const SYMBOL_TOKENS = new Set([')', ',', '!', '==', '=', '>', '<', '!=', '(']);
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';

function lex(s: string): Item[] {
  const items: Item[] = [];
  let i = 0;
  for (;;) {
    while (i < s.length && isSpace(s[i] ?? '')) i++;
    if (i >= s.length) { items.push({ tok: 'end', lit: '' }); return items; }
    if (SYMBOLS.has(s[i] ?? '')) {
      // Longest run of symbol characters that still forms a token, as scanSpecialSymbol does.
      let buf = '';
      let last: Item | undefined;
      while (i < s.length && SYMBOLS.has(s[i] ?? '')) {
        buf += s[i];
        if (SYMBOL_TOKENS.has(buf)) { last = { tok: buf as Tok, lit: buf }; i++; } else if (last) break; else i++;
      }
      items.push(last ?? { tok: 'error', lit: `error expected: keyword found '${buf}'` });
      continue;
    }
    let buf = '';
    while (i < s.length && !SYMBOLS.has(s[i] ?? '') && !isSpace(s[i] ?? '')) buf += s[i++];
    items.push({ tok: buf === 'in' || buf === 'notin' ? buf : 'id', lit: buf });
  }
}

class Parser {
  private pos = 0;
  constructor(private readonly items: Item[]) {}

  // In value position the keywords `in` / `notin` are ordinary identifiers.
  private peek(values = true): Item {
    const it = this.items[this.pos] ?? { tok: 'end', lit: '' };
    return values && (it.tok === 'in' || it.tok === 'notin') ? { tok: 'id', lit: it.lit } : it;
  }
  private next(values = true): Item { const it = this.peek(values); this.pos++; return it; }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.peek();
      if (tok === 'end') return reqs;
      if (tok !== 'id' && tok !== '!') throw new Error(`found '${lit}', expected: !, identifier, or 'end of string'`);
      try {
        reqs.push(this.requirement());
      } catch (e) {
        throw new Error(`unable to parse requirement: ${(e as Error).message}`);
      }
      const after = this.next();
      if (after.tok === 'end') return reqs;
      if (after.tok !== ',') throw new Error(`found '${after.lit}', expected: ',' or 'end of string'`);
      const t2 = this.peek();
      if (t2.tok !== 'id' && t2.tok !== '!') throw new Error(`found '${t2.lit}', expected: identifier after ','`);
    }
  }

  private requirement(): Requirement {
    let first = this.next();
    const negated = first.tok === '!';
    if (negated) first = this.next();
    if (first.tok !== 'id') throw new Error(`found '${first.lit}', expected: identifier`);
    const key = first.lit;
    const ke = keyError(key, '');
    if (ke) throw new Error(ke);
    const la = this.peek().tok;
    if (la === 'end' || la === ',') return newRequirement(key, negated ? '!' : 'exists', []);
    if (negated) return newRequirement(key, '!', []);
    const op = this.next(false);
    let operator: Operator;
    switch (op.tok) {
      case 'in': operator = 'in'; break;
      case 'notin': operator = 'notin'; break;
      case '=': operator = '='; break;
      case '==': operator = '=='; break;
      case '!=': operator = '!='; break;
      case '>': operator = 'gt'; break;
      case '<': operator = 'lt'; break;
      default: throw new Error(`found '${op.lit}', expected: in, notin, =, ==, !=, gt, lt`);
    }
    const values = operator === 'in' || operator === 'notin' ? this.valueSet() : this.exactValue();
    return newRequirement(key, operator, [...new Set(values)].sort());
  }

  private valueSet(): string[] {
    const open = this.next();
    if (open.tok !== '(') throw new Error(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.peek();
    if (tok === ')') { this.next(); return ['']; }
    if (tok !== 'id' && tok !== ',') throw new Error(`found '${lit}', expected: ',', ')' or identifier`);
    const values = this.identifiers();
    if (this.next().tok !== ')') throw new Error(`found '${lit}', expected: ')'`);
    return values;
  }

  // A comma-separated list in which empty entries mean the empty value: `(a,,b)`, `(,a)`.
  private identifiers(): string[] {
    const out: string[] = [];
    for (;;) {
      const { tok, lit } = this.next();
      if (tok === 'id') {
        out.push(lit);
        const la = this.peek();
        if (la.tok === ',') continue;
        if (la.tok === ')') return out;
        throw new Error(`found '${la.lit}', expected: ',' or ')'`);
      }
      if (tok === ',') {
        if (out.length === 0) out.push('');
        const la = this.peek().tok;
        if (la === ')') { out.push(''); return out; }
        if (la === ',') out.push('');
        continue;
      }
      throw new Error(`found '${lit}', expected: ',', or identifier`);
    }
  }

  private exactValue(): string[] {
    const la = this.peek().tok;
    if (la === 'end' || la === ',') return [''];
    const { tok, lit } = this.next();
    if (tok === 'id') return [lit];
    throw new Error(`found '${lit}', expected: identifier`);
  }
}

/** Requirements of a labelSelector query string; throws a plain Error in upstream's words. */
export function parseRequirements(s: string): Requirement[] {
  return sortedByKey(new Parser(lex(s)).parse());
}

/** labels.Parse; an invalid selector is a 400 BadRequest carrying the parser's message. */
export function parseSelector(s: string): Selector {
  try {
    return new RequirementsSelector(parseRequirements(s));
  } catch (e) {
    throw errors.badRequest((e as Error).message);
  }
}

/** labels.SelectorFromSet: every pair must match exactly; an empty set matches everything. */
export function selectorFromSet(set: Readonly<Record<string, string>>): Selector {
  return new RequirementsSelector(sortedByKey(Object.entries(set).map(([key, v]) => ({ key, operator: '=', values: [v] }))));
}

/**
 * metav1.LabelSelectorAsSelector: a missing selector selects nothing, an empty one
 * everything. Invalid keys, values or operators throw a 400 BadRequest.
 */
export function labelSelectorAsSelector(ls: LabelSelector | null | undefined): Selector {
  if (ls === null || ls === undefined) return NOTHING;
  const matchLabels = Object.entries(ls.matchLabels ?? {});
  const exprs = ls.matchExpressions ?? [];
  if (matchLabels.length + exprs.length === 0) return EVERYTHING;
  try {
    const reqs = matchLabels.map(([k, v]) => newRequirement(k, '=', [v]));
    for (const e of exprs) {
      reqs.push(newRequirement(e.key, selectorOperator(e.operator), [...(e.values ?? [])]));
    }
    return new RequirementsSelector(sortedByKey(reqs));
  } catch (e) {
    throw errors.badRequest((e as Error).message);
  }
}

function selectorOperator(op: string): Operator {
  switch (op) {
    case 'In': return 'in';
    case 'NotIn': return 'notin';
    case 'Exists': return 'exists';
    case 'DoesNotExist': return '!';
    default: throw new Error(`${JSON.stringify(op)} is not a valid label selector operator`);
  }
}

/** The selector's query-string form, as kubectl sends it (`app=web,tier in (a,b)`). */
export function labelSelectorToString(ls: LabelSelector | null | undefined): string {
  return labelSelectorAsSelector(ls).toString();
}

/** metav1.FormatLabelSelector, as printers show selectors: `<none>` when empty, `<error>` when invalid. */
export function formatLabelSelector(ls: LabelSelector | null | undefined): string {
  let s: string;
  try { s = labelSelectorAsSelector(ls).toString(); } catch { return '<error>'; }
  return s === '' ? '<none>' : s;
}

/** The single value a label must have for the selector to match, if it demands one. */
export function requiresExactMatch(sel: Selector, key: string): string | undefined {
  return sel instanceof RequirementsSelector ? sel.exactMatch(key) : undefined;
}
