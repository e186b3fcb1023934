// Encodes row batches in COPY's text format: tab between fields, newline after rows, \N for
// NULL, backslash escapes in strings. One encoder per column is chosen from its type once,
// so the per-value work is a single call.
import { asMicros, dateText, hexOf, timestampText } from '../row-text.ts';
import type { RowBatch, RowValue } from '../sink.ts';
import type { SqlType } from '../sql-types.ts';

type Encode = (value: RowValue) => string;

const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

const escapeText = (text: string): string => (SPECIAL.test(text) ? text.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : text);

export function copyEncoder(type: SqlType): Encode {
  switch (type.kind) {
    case 'string':
      return (value) => escapeText(String(value));
    case 'boolean':
      return (value) => (value ? 't' : 'f');
    case 'date':
      return (value) => dateText(Number(value));
    case 'timestamptz':
      return (value) => `${timestampText(asMicros(value))}+00`;
    case 'timestamp':
      return (value) => timestampText(asMicros(value));
    case 'binary':
      // bytea's hex input form, with its backslash escaped for the text format.
      return (value) => `\\\\x${hexOf(value as Uint8Array)}`;
    default:
      // Integers, floats ("NaN", "Infinity" are valid input) and decimals (exact strings).
      return (value) => String(value);
  }
}

export function encodeCopyBatch(batch: RowBatch, encoders: readonly Encode[]): string {
  const lines = new Array<string>(batch.length);
  const fields = new Array<string>(encoders.length);
  for (let r = 0; r < batch.length; r++) {
    const row = batch[r]!;
    for (let c = 0; c < encoders.length; c++) {
      const value = row[c];
      fields[c] = value === null || value === undefined ? '\\N' : encoders[c]!(value);
    }
    lines[r] = fields.join('\t');
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}
