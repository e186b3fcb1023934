import type { ParameterValue, Pipeline } from '../core/pipeline.ts';

/**
 * --param values arrive as text; each is sent as the type the pipeline declares for it, so
 * that `site=001` stays the string "001" for a string parameter. A value that does not read
 * as its type, or a name the pipeline does not declare, is sent as text for the server to refuse.
 */
export function typedParameters(texts: Record<string, string>, declared: Pipeline['parameters']): Record<string, ParameterValue> {
  return Object.fromEntries(
    Object.entries(texts).map(([name, text]) => {
      const type = Object.hasOwn(declared, name) ? declared[name]!.type : 'string';
      if (type === 'number' && text.trim() !== '' && Number.isFinite(Number(text))) return [name, Number(text)];
      if (type === 'boolean' && (text === 'true' || text === 'false')) return [name, text === 'true'];
      return [name, text];
    }),
  );
}
