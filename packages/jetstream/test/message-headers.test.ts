/** The headers a shipped message carries, and their parsing back. */
import test from 'ava';
import { headers } from 'nats';
import {
  HEADER_APPEND_TIME, HEADER_EXPECTED_SEQ, HEADER_EXPECTED_SUBJECT_SEQ, HEADER_LOG_ID, HEADER_MSG_ID, HEADER_OFFSET,
  messageIdOf, parseShippedHeaders,
} from '../src/index.js';
import { logIdHexOf, publishHeaders } from '../src/message-headers.js';

const id = logIdHexOf(Uint8Array.from({ length: 16 }, (_, i) => i * 17));

test('a publish carries the message id, log id, offset, append time and the sequence it follows', (t) => {
  const h = publishHeaders({ logIdHex: id, offset: 42, appendTimeMs: 1_700_000_000_000 }, 9);
  t.is(id, '00112233445566778899aabbccddeeff');
  t.is(h.get(HEADER_MSG_ID), `${id}:42`);
  t.is(h.get(HEADER_MSG_ID), messageIdOf(id, 42));
  t.is(h.get(HEADER_LOG_ID), id);
  t.is(h.get(HEADER_OFFSET), '42');
  t.is(h.get(HEADER_APPEND_TIME), '1700000000000');
  t.is(h.get(HEADER_EXPECTED_SEQ), '9');
  t.false(h.has(HEADER_EXPECTED_SUBJECT_SEQ));
  t.deepEqual(parseShippedHeaders(h), { logIdHex: id, offset: 42, appendTimeMs: 1_700_000_000_000 });
});

test('the first message of an empty stream expects an empty subject; no append time is left out', (t) => {
  const h = publishHeaders({ logIdHex: id, offset: 0, appendTimeMs: undefined }, 0);
  t.is(h.get(HEADER_EXPECTED_SUBJECT_SEQ), '0');
  t.false(h.has(HEADER_EXPECTED_SEQ));
  t.false(h.has(HEADER_APPEND_TIME));
  t.deepEqual(parseShippedHeaders(h), { logIdHex: id, offset: 0, appendTimeMs: undefined });
});

test('headers that are not a shipper\'s parse as null', (t) => {
  t.is(parseShippedHeaders(undefined), null);
  const bad = [
    [HEADER_LOG_ID, 'XYZ', HEADER_OFFSET, '1'],
    [HEADER_LOG_ID, id, HEADER_OFFSET, '-1'],
    [HEADER_LOG_ID, id, HEADER_OFFSET, '01'],
    [HEADER_LOG_ID, id, HEADER_OFFSET, '99999999999999999999'],
    [HEADER_LOG_ID, id],
  ];
  for (const pairs of bad) {
    const h = headers();
    for (let i = 0; i < pairs.length; i += 2) h.set(pairs[i]!, pairs[i + 1]!);
    t.is(parseShippedHeaders(h), null, JSON.stringify(pairs));
  }
});
