/**
 * The payload cache (src/queue/payload-cache.ts): entries on their messages, a byte budget kept
 * by evicting the oldest still-cached payloads first, exact byte accounting through take, recall
 * and forget, and an eviction order that skips (and compacts away) messages whose payload left.
 */
import test from 'ava';
import { PayloadCache } from '../src/queue/payload-cache.js';
import { newMessageState } from '../src/queue/state-types.js';
import type { MessageState } from '../src/queue/state-types.js';

const message = (seq: number): MessageState => newMessageState(seq, [seq, 0], { at: 0, prio: 0, notBefore: 0 });
const payload = (bytes: number, fill: number): Uint8Array => new Uint8Array(bytes).fill(fill);

test('over the budget, the oldest payloads still cached are evicted first', (t) => {
  const cache = new PayloadCache(300);
  const messages = [0, 1, 2, 3].map(message);
  cache.remember(messages[0]!, payload(100, 0));
  cache.remember(messages[1]!, payload(100, 1));
  t.deepEqual(cache.take(messages[0]!), payload(100, 0), 'the delivery takes the bytes themselves');
  cache.remember(messages[2]!, payload(100, 2));
  cache.remember(messages[3]!, payload(100, 3));
  t.is(cache.bytes, 300);
  cache.remember(message(4), payload(100, 4));
  t.is(cache.bytes, 300, 'one evicted');
  t.is(messages[1]!.cached, undefined, 'the oldest still cached went (0 had been taken: skipped)');
  t.deepEqual(cache.recall(messages[2]!), payload(100, 2));
  t.not(cache.recall(messages[2]!), messages[2]!.cached, 'recall gives a copy');
  t.like(cache, { hits: 3, misses: 0 });
  t.is(cache.take(messages[1]!), undefined);
  t.is(cache.misses, 1);
});

test('forget and take keep the byte count exact; a payload over the budget is not cached', (t) => {
  const cache = new PayloadCache(1_000);
  const held = [0, 1, 2].map(message);
  for (const [index, each] of held.entries()) cache.remember(each, payload(10 * (index + 1), index));
  t.is(cache.bytes, 60);
  cache.forget(held[1]!);
  cache.forget(held[1]!);
  t.is(cache.bytes, 40, 'a second forget changes nothing');
  cache.take(held[2]!);
  t.is(cache.bytes, 10);
  const big = message(9);
  cache.remember(big, payload(1_001, 9));
  t.is(big.cached, undefined);
  t.is(cache.bytes, 10);
});

test('after many deliveries took their payloads, eviction still finds the oldest cached one', (t) => {
  const cache = new PayloadCache(50);
  const kept = message(0);
  cache.remember(kept, payload(10, 1));
  // Far more remember-and-take cycles than the order's slack: compactions must keep `kept` first.
  for (let seq = 1; seq <= 20_000; seq++) {
    const each = message(seq);
    cache.remember(each, payload(10, 2));
    t.not(cache.take(each), undefined);
  }
  t.is(cache.bytes, 10);
  for (let seq = 20_001; seq <= 20_005; seq++) cache.remember(message(seq), payload(10, 3));
  t.is(kept.cached, undefined, 'the oldest cached payload was the one evicted');
  t.is(cache.bytes, 50);
});
