import { z } from 'zod';

export class ConfigurationError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

/**
 * Reads and validates the environment once, at cold start. A missing or malformed variable
 * stops the function before it serves anything, with a message that names the variable.
 */
export const loadConfig = <TShape extends z.ZodRawShape>(
  shape: TShape,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<TShape>> => {
  const result = z.object(shape).safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new ConfigurationError(`Invalid function configuration: ${problems}`);
  }
  return result.data;
};

export const tableName = z.string().min(3).max(255);
export const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
/** A whole number of at least 0 (seconds of a grace, say), `fallback` when unset. */
export const nonNegativeInt = (fallback: number) => z.coerce.number().int().min(0).default(fallback);
