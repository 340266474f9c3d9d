/**
 * One job: the socket side of the frame protocol, shared by the owner (server.ts) and the workers
 * (client.ts): feed every chunk to a FrameReader and hand out whole frames; a stream that does not
 * parse (a corrupt length, a header that is not JSON) destroys the socket rather than guess.
 */
import type { Socket } from 'node:net';
import { FrameReader } from './frames.js';
import type { Frame } from './frames.js';

/** Calls `onFrame` for each whole frame `socket` brings, then `onClose` once when it closes. */
export function readFrames(socket: Socket, onFrame: (frame: Frame) => void, onClose: () => void): void {
  const reader = new FrameReader();
  socket.on('data', (chunk: Buffer) => {
    let frames: Frame[];
    try {
      frames = reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } catch {
      socket.destroy();
      return;
    }
    for (const frame of frames) onFrame(frame);
  });
  // 'close' follows every error, and the close handler is where both sides clean up.
  socket.on('error', () => undefined);
  socket.once('close', onClose);
}
