// Shuffle sharding (upstream's shufflesharding.Dealer): a flow's hash deals it a hand of
// distinct queues, so two flows rarely share their whole hand and one heavy flow can only
// crowd the queues in its own hand.
import { createHash } from 'node:crypto';

/** handSize distinct cards out of deckSize, chosen by hashValue (a non-negative integer below 2^53). */
export function dealHand(hashValue: number, deckSize: number, handSize: number): number[] {
  const remaining = Array.from({ length: deckSize }, (_, i) => i);
  const hand: number[] = [];
  let h = hashValue;
  for (let i = 0; i < handSize && remaining.length; i++) {
    const n = remaining.length;
    const pick = h % n;
    h = Math.floor(h / n);
    hand.push(remaining.splice(pick, 1)[0]!);
  }
  return hand;
}

/**
 * The flow's hash. 48 bits are enough entropy for a hand of 8 from 128 queues as upstream
 * configures them, and stay exact in a JS number.
 */
export function flowHash(flowSchemaName: string, flowDistinguisher: string): number {
  return createHash('sha256').update(flowSchemaName).update('\0').update(flowDistinguisher).digest().readUIntBE(0, 6);
}
