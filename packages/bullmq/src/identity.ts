/**
 * One job: the names a backend computes without its datastore, shared by the owning backend and
 * the remote one (remote/client.ts) so both answer exactly alike.
 */

/** `<prefix>:<queue>:<id>`; a queue name may itself hold ':' (`bull:<queue>` parents), the id may not. */
export function parseNodeKey(key: string): { prefix: string; queueName: string; id: string } {
  const last = key.lastIndexOf(':');
  const first = key.indexOf(':');
  return { prefix: key.slice(0, first), queueName: key.slice(first + 1, last), id: key.slice(last + 1) };
}

/** What getWorkers / getQueueEvents match in the client list: as BullMQ's Redis backend names its clients. */
export function clientName(prefix: string, queueName: string, suffix = ''): string {
  return `${prefix}:${Buffer.from(queueName).toString('base64')}${suffix}`;
}
