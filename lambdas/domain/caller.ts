import { ForbiddenError } from './errors';
import type { Order, OrderCommand } from './order';

/**
 * Who is asking: the identity provider's subject (`sub`), and whether they work for the
 * business (staff) or are a customer acting for themselves. A customer's id is their `sub`.
 */
export interface Caller {
  readonly sub: string;
  readonly staff: boolean;
}

/** The commands a customer may run on their own orders; every other one is staff work. */
const CUSTOMER_COMMANDS: ReadonlySet<OrderCommand['type']> = new Set(['cancel']);

/** A customer acts for themselves only; staff act for any customer. */
export const mayActFor = (caller: Caller, customerId: string): boolean => caller.staff || caller.sub === customerId;

/**
 * The order as this caller may know it. Another customer's order is, for them, no order at all:
 * every use case then answers it exactly as it answers a missing one.
 */
export const visibleTo = (caller: Caller, order: Order | undefined): Order | undefined =>
  order !== undefined && mayActFor(caller, order.customerId) ? order : undefined;

/**
 * The customer a request acts for when it names none: a customer, themselves; staff must name
 * one (`undefined`).
 */
export const impliedCustomer = (caller: Caller): string | undefined => (caller.staff ? undefined : caller.sub);

/** Refuses a customer who names another customer (placing or listing for them). */
export const assertMayActFor = (caller: Caller, customerId: string, action: string): void => {
  if (!mayActFor(caller, customerId)) {
    throw new ForbiddenError(`A customer may ${action} only for themselves.`);
  }
};

/** Refuses a customer a command that is staff work, whatever the order (it is never read). */
export const assertMayRun = (caller: Caller, command: OrderCommand['type']): void => {
  if (!caller.staff && !CUSTOMER_COMMANDS.has(command)) {
    throw new ForbiddenError(`Only staff may ${command} an order.`);
  }
};
