import { z } from 'zod';
import { ValidationError, type ValidationIssue } from '../domain/errors';

/** The field rules of CONTRACT.md. Strict objects: an unknown field is a validation problem. */
const sku = z.string().min(1).max(64);
export const customerId = z.string().min(1).max(64);

/** `customerId` may be left out by a customer (it is then their own); staff must name one. */
export const placeOrderBody = z.strictObject({
  customerId: customerId.optional(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be 3 upper-case letters (ISO 4217)'),
  items: z
    .array(
      z.strictObject({
        sku,
        quantity: z.number().int().min(1).max(1000),
        unitPrice: z.number().int().min(0).max(100_000_000),
      }),
    )
    .min(1)
    .max(100),
});

export const confirmOrderBody = z.strictObject({});

export const shipOrderBody = z.strictObject({
  trackingNumber: z.string().min(1).max(128).optional(),
});

export const cancelOrderBody = z.strictObject({
  reason: z.string().min(1).max(500).optional(),
});

/** Parses `input` or throws a `ValidationError` that lists every problem, one per field. */
export const parseWith = <T extends z.ZodType>(schema: T, input: unknown, prefix = 'body'): z.infer<T> => {
  const result = schema.safeParse(input);
  if (result.success) {
    return result.data;
  }
  throw new ValidationError(result.error.issues.flatMap((issue) => toIssues(issue, prefix)));
};

const toIssues = (issue: z.core.$ZodIssue, prefix: string): ValidationIssue[] => {
  const at = [prefix, ...issue.path.map(String)].join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: `${at}.${key}`, message: 'is not a known field' }));
  }
  return [{ path: at, message: issue.message }];
};
