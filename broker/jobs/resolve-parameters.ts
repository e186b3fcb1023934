// Checks a request's parameters against the pipeline's declarations and fills defaults.
// Values reach Spark only as bound parameters, never spliced into SQL text.
import { UserError, type ErrorDetail } from '../core/errors.ts';
import type { ParameterValue, Pipeline } from '../core/pipeline.ts';

export function resolveParameters(pipeline: Pipeline, given: Record<string, ParameterValue>): Record<string, ParameterValue> {
  const problems: ErrorDetail[] = [];
  const resolved: Record<string, ParameterValue> = {};
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(pipeline.parameters, name)) problems.push({ path: `parameters.${name}`, message: `pipeline "${pipeline.name}" declares no parameter "${name}"` });
  }
  for (const [name, declaration] of Object.entries(pipeline.parameters)) {
    // Own properties only: a parameter named "constructor" or "toString" must not find Object.prototype's.
    const value = (Object.hasOwn(given, name) ? given[name] : undefined) ?? declaration.default;
    if (value === undefined) {
      problems.push({ path: `parameters.${name}`, message: 'is required' });
    } else if (typeof value !== declaration.type) {
      problems.push({ path: `parameters.${name}`, message: `must be a ${declaration.type}` });
    } else {
      resolved[name] = value;
    }
  }
  if (problems.length > 0) throw new UserError('invalid-parameters', 'the parameters do not fit the pipeline', 422, problems);
  return resolved;
}
