// The static token file of kube-apiserver's --token-auth-file
// (k8s.io/apiserver/pkg/authentication/token/tokenfile): CSV records
// `token,user,uid[,"group1,group2,..."]`, read with Go's encoding/csv rules (quoted fields,
// `""` inside quotes, any number of fields per record), with upstream's errors for bad input.
import type { UserInfo } from './user-info.js';

export class TokenFileError extends Error {}

/** Go's csv.ParseError text. */
function parseError(line: number, column: number, what: string, startLine = line): TokenFileError {
  const where = startLine !== line ? `record on line ${startLine}; parse error on line ${line}, column ${column}` : `parse error on line ${line}, column ${column}`;
  return new TokenFileError(`${where}: ${what}`);
}

const BARE_QUOTE = 'bare " in non-quoted-field';
const EXTRANEOUS_QUOTE = 'extraneous or missing " in quoted-field';

/** encoding/csv Reader.Read over the whole text: each record with the line it started on. Blank lines are skipped. */
export function parseCsv(text: string): { line: number; fields: string[] }[] {
  const records: { line: number; fields: string[] }[] = [];
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const startLine = i + 1;
    let line = lines[i]!;
    if (line === '') continue;
    const fields: string[] = [];
    let pos = 0;
    for (;;) {
      if (line[pos] !== '"') {
        // A non-quoted field runs to the next comma; a quote inside it is an error.
        const comma = line.indexOf(',', pos);
        const value = comma < 0 ? line.slice(pos) : line.slice(pos, comma);
        const quote = value.indexOf('"');
        if (quote >= 0) throw parseError(i + 1, pos + quote + 1, BARE_QUOTE);
        fields.push(value);
        if (comma < 0) break;
        pos = comma + 1;
        continue;
      }
      // A quoted field may span lines; `""` is one quote.
      let value = '';
      pos++;
      for (;;) {
        const quote = line.indexOf('"', pos);
        if (quote < 0) {
          value += `${line.slice(pos)}\n`;
          if (i + 1 >= lines.length) throw parseError(i + 1, line.length + 1, EXTRANEOUS_QUOTE, startLine);
          line = lines[++i]!;
          pos = 0;
          continue;
        }
        value += line.slice(pos, quote);
        const next = line[quote + 1];
        if (next === '"') { value += '"'; pos = quote + 2; continue; }
        if (next === undefined || next === ',') { pos = quote + 1; break; }
        throw parseError(i + 1, quote + 2, EXTRANEOUS_QUOTE, startLine);
      }
      fields.push(value);
      if (pos >= line.length) break;
      pos++; // the comma
      if (pos === line.length) { fields.push(''); break; }
    }
    records.push({ line: startLine, fields });
  }
  return records;
}

/**
 * tokenfile.NewCSV: token → user. A record needs at least 3 fields; an empty token is skipped
 * and a repeated token overrides the earlier one (upstream logs both as warnings).
 */
export function parseTokenFile(text: string, path: string, warn: (msg: string) => void = () => undefined): Map<string, UserInfo> {
  const tokens = new Map<string, UserInfo>();
  let recordNum = 0;
  for (const { fields } of parseCsv(text)) {
    if (fields.length < 3) {
      throw new TokenFileError(`token file '${path}' must have at least 3 columns (token, user name, user uid), found ${fields.length}`);
    }
    recordNum++;
    const [token, name, uid] = fields as [string, string, string, ...string[]];
    if (token === '') { warn(`empty token has been found in token file '${path}', record number '${recordNum}'`); continue; }
    if (tokens.has(token)) warn(`duplicate token has been found in token file '${path}', record number '${recordNum}'`);
    const groups = fields.length >= 4 ? fields[3]!.split(',') : [];
    tokens.set(token, { name, ...(uid ? { uid } : {}), groups });
  }
  return tokens;
}

/** One record, quoted where Go's csv.Writer would quote it. */
export function formatTokenRecord(token: string, user: UserInfo): string {
  const quote = (f: string): string => (/[",\r\n]/.test(f) || f.startsWith(' ') ? `"${f.replace(/"/g, '""')}"` : f);
  const fields = [token, user.name, user.uid ?? ''];
  if (user.groups.length) fields.push(user.groups.join(','));
  return fields.map(quote).join(',');
}
