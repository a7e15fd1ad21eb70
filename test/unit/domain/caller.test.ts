import { describe, expect, it } from 'vitest';
import {
  type Caller,
  assertMayActFor,
  assertMayRun,
  impliedCustomer,
  mayActFor,
  visibleTo,
} from '../../../lambdas/domain/caller';
import { ForbiddenError } from '../../../lambdas/domain/errors';
import { placeOrder } from '../../../lambdas/domain/order';

const customer: Caller = { sub: 'c-1', staff: false };
const staff: Caller = { sub: 'staff-1', staff: true };
const orderOf = (customerId: string) =>
  placeOrder({ customerId, currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 1 }] }).order;

describe('mayActFor', () => {
  it('lets a customer act for themselves', () => {
    expect(mayActFor(customer, 'c-1')).toBe(true);
  });

  it('does not let a customer act for another customer', () => {
    expect(mayActFor(customer, 'c-2')).toBe(false);
  });

  it('lets staff act for any customer', () => {
    expect(mayActFor(staff, 'c-2')).toBe(true);
  });
});

describe('visibleTo', () => {
  it("shows a customer their own order", () => {
    const order = orderOf('c-1');

    expect(visibleTo(customer, order)).toBe(order);
  });

  it("hides another customer's order, as if it did not exist", () => {
    expect(visibleTo(customer, orderOf('c-2'))).toBeUndefined();
  });

  it('shows staff every order', () => {
    const order = orderOf('c-2');

    expect(visibleTo(staff, order)).toBe(order);
  });

  it('keeps a missing order missing', () => {
    expect(visibleTo(staff, undefined)).toBeUndefined();
  });
});

describe('impliedCustomer', () => {
  it("is a customer's own sub", () => {
    expect(impliedCustomer(customer)).toBe('c-1');
  });

  it('is none for staff, who must name the customer', () => {
    expect(impliedCustomer(staff)).toBeUndefined();
  });
});

describe('assertMayActFor', () => {
  it('refuses a customer acting for another with FORBIDDEN', () => {
    expect(() => assertMayActFor(customer, 'c-2', 'place orders')).toThrow(ForbiddenError);
  });

  it('lets a customer act for themselves and staff for anyone', () => {
    expect(() => assertMayActFor(customer, 'c-1', 'place orders')).not.toThrow();
    expect(() => assertMayActFor(staff, 'c-2', 'place orders')).not.toThrow();
  });
});

describe('assertMayRun', () => {
  it('lets a customer cancel', () => {
    expect(() => assertMayRun(customer, 'cancel')).not.toThrow();
  });

  it.each(['confirm', 'ship'] as const)('refuses a customer %s with FORBIDDEN', (command) => {
    expect(() => assertMayRun(customer, command)).toThrow(ForbiddenError);
  });

  it.each(['confirm', 'ship', 'cancel'] as const)('lets staff %s', (command) => {
    expect(() => assertMayRun(staff, command)).not.toThrow();
  });
});
