import test from 'ava';
import { EventStream } from '../src/state/event-stream.js';

test('trim keeps exactly the newest entries; reads, ids and the JSON form agree across compactions', (t) => {
  const stream = new EventStream();
  const ids: string[] = [];
  for (let i = 0; i < 5000; i++) {
    ids.push(stream.append(1000 + Math.floor(i / 3), ['event', 'e', 'n', String(i)]));
    // Every finish trims to maxLength, as moveToFinished does: here to 100, so the head moves on
    // each append and the array is compacted many times.
    stream.trim(100);
  }
  t.is(stream.length, 100);
  const kept = stream.after('0-0', 1000);
  t.deepEqual(kept.map((entry) => entry.id), ids.slice(-100), 'the newest 100, oldest first');
  t.deepEqual(stream.after(ids.at(-51)!, 10).map((entry) => entry.id), ids.slice(-50, -40), 'reads after an id');
  t.is(stream.lastId, ids.at(-1) ?? '');
  const restored = EventStream.fromJSON(JSON.parse(JSON.stringify(stream.toJSON())) as ReturnType<EventStream['toJSON']>);
  t.deepEqual(restored.toJSON(), stream.toJSON(), 'the snapshot form holds only the live entries');
  t.is(stream.trim(100), 0, 'nothing to drop');
  t.is(stream.trim(10), 90);
  t.deepEqual(stream.after('0-0', 1000).map((entry) => entry.id), ids.slice(-10));
});
