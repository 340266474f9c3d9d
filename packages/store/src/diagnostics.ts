/**
 * One job: publish batch-level events on node:diagnostics_channel, so tools (the Prometheus
 * package, tracing) can observe every batch without polling. Publishing is skipped entirely when
 * nobody subscribes, so it costs one property read per batch.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { BATCH_CHANNEL, ERROR_CHANNEL } from '@seglog/types';
import type { BatchEvent, ErrorEvent } from '@seglog/types';

const batchChannel = diagnosticsChannel.channel(BATCH_CHANNEL);
const errorChannel = diagnosticsChannel.channel(ERROR_CHANNEL);

export function publishBatch(event: () => BatchEvent): void {
  if (batchChannel.hasSubscribers) batchChannel.publish(event());
}

export function publishError(event: () => ErrorEvent): void {
  if (errorChannel.hasSubscribers) errorChannel.publish(event());
}
