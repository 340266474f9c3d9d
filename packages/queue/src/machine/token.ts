/**
 * One job: the delivery token that fences every settle. A message's n-th delivery to a group has
 * token { offset, attempt: n }; a settle is accepted only while that is the group's current lease
 * on the message. A lapsed lease is redelivered as attempt n+1, so a slow worker's late ack of
 * attempt n can never settle someone else's delivery (NATS #4786, SQS receipt handles, BullMQ
 * "Missing lock").
 */
export interface DeliveryToken {
  /** The message's offset in the queue. */
  readonly offset: number;
  /** 1 for the first delivery, counting every delivery to this group, lapsed ones included. */
  readonly attempt: number;
}

export function sameToken(a: DeliveryToken, b: DeliveryToken): boolean {
  return a.offset === b.offset && a.attempt === b.attempt;
}

export function formatToken(token: DeliveryToken): string {
  return `${token.offset}#${token.attempt}`;
}
