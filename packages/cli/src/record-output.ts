/**
 * One job: how one record is printed, the same way by `dump` and `tail`: text is
 * `offset<TAB>size<TAB>payload`, JSON and NDJSON are `{offset, size, appendTimeMs, payload}`, the
 * payload in the chosen rendering (utf8, hex, base64, json, or none).
 */
export type PayloadFormat = 'utf8' | 'hex' | 'base64' | 'json' | 'none';

export const PAYLOAD_FORMATS: readonly PayloadFormat[] = ['utf8', 'hex', 'base64', 'json', 'none'];

/** The text line of a record. */
export function recordText(offset: number, payload: Uint8Array, format: PayloadFormat): string {
  if (format === 'none') return `${offset}\t${payload.length}`;
  const rendered = renderPayload(payload, format);
  return `${offset}\t${payload.length}\t${typeof rendered === 'string' ? rendered : JSON.stringify(rendered)}`;
}

/**
 * The JSON object of a record; no `payload` field with `none`. `appendTimeMs`: when its batch was
 * sealed (format v2), null for a v1 record.
 */
export function recordObject(
  offset: number,
  payload: Uint8Array,
  format: PayloadFormat,
  appendTimeMs: number | undefined,
): Record<string, unknown> {
  const row: Record<string, unknown> = { offset, size: payload.length, appendTimeMs: appendTimeMs ?? null };
  if (format !== 'none') row.payload = renderPayload(payload, format);
  return row;
}

export function renderPayload(payload: Uint8Array, format: PayloadFormat): unknown {
  const buffer = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  switch (format) {
    case 'hex':
      return buffer.toString('hex');
    case 'base64':
      return buffer.toString('base64');
    case 'none':
      return null;
    case 'json':
      try {
        return JSON.parse(buffer.toString('utf8'));
      } catch {
        // Not JSON: still every byte, never a parse error that ends the listing.
        return { notJson: buffer.toString('base64') };
      }
    default:
      return buffer.toString('utf8');
  }
}
