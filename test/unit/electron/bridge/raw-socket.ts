import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { bridgeProtocol, bridgeTokenPrefix } from '../../../../shared/contract.ts';

// Byte-level clients for the bridge tests: what a browser or the ws library would never send, sent anyway.

/** Sends bytes on a fresh TCP connection and collects what comes back until the server closes it or waitMs pass. */
export function rawExchange(port: number, bytes: Buffer | string, waitMs = 2000): Promise<{ response: string; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ response: Buffer.concat(chunks).toString('latin1'), closedByServer });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('connect', () => socket.write(bytes));
  });
}

export interface FrameOptions {
  fin?: boolean;
  /** The three reserved bits, 0..7 (RSV1 = 4). */
  rsv?: number;
  opcode: number;
  payload?: Buffer;
  /** Clients must mask; false sends an unmasked frame. */
  mask?: boolean;
  /** Announce this length instead of the payload's (to claim an oversized frame without sending it). */
  declaredLength?: number;
}

/** One WebSocket frame, as RFC 6455 lays it out. */
export function frame(options: FrameOptions): Buffer {
  const payload = options.payload ?? Buffer.alloc(0);
  const length = options.declaredLength ?? payload.length;
  const masked = options.mask ?? true;
  const head = [((options.fin ?? true) ? 0x80 : 0) | ((options.rsv ?? 0) << 4) | (options.opcode & 0x0f)];
  const maskBit = masked ? 0x80 : 0;
  let lengthBytes: Buffer;
  if (length < 126) lengthBytes = Buffer.from([maskBit | length]);
  else if (length < 65536) {
    lengthBytes = Buffer.alloc(3);
    lengthBytes[0] = maskBit | 126;
    lengthBytes.writeUInt16BE(length, 1);
  } else {
    lengthBytes = Buffer.alloc(9);
    lengthBytes[0] = maskBit | 127;
    lengthBytes.writeBigUInt64BE(BigInt(length), 1);
  }
  if (!masked) return Buffer.concat([Buffer.from(head), lengthBytes, payload]);
  const key = randomBytes(4);
  const body = Buffer.from(payload.map((byte, i) => byte ^ key[i % 4]!));
  return Buffer.concat([Buffer.from(head), lengthBytes, key, body]);
}

export const textFrame = (text: string | Buffer, extra: Partial<FrameOptions> = {}) =>
  frame({ opcode: 0x1, payload: typeof text === 'string' ? Buffer.from(text) : text, ...extra });

export function closeFrame(code: number, extra: Partial<FrameOptions> = {}): Buffer {
  const payload = Buffer.alloc(2);
  payload.writeUInt16BE(code);
  return frame({ opcode: 0x8, payload, ...extra });
}

export interface RawWebSocket {
  socket: Socket;
  send(bytes: Buffer): void;
  /** Resolves when the server ends the connection, with the code of the close frame it sent (if any). */
  closed: Promise<{ closeCode: number | null }>;
  /** Text messages the server sent. */
  messages: string[];
}

/** A WebSocket handshake with the right token and origin, done by hand so anything can follow it. */
export function rawWebSocket(port: number, token: string): Promise<RawWebSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buffer = Buffer.alloc(0);
    let upgraded = false;
    let closeCode: number | null = null;
    const messages: string[] = [];
    let settleClosed: (value: { closeCode: number | null }) => void = () => undefined;
    const closed = new Promise<{ closeCode: number | null }>((r) => (settleClosed = r));
    const readFrames = () => {
      for (;;) {
        if (buffer.length < 2) return;
        const opcode = buffer[0]! & 0x0f;
        let length = buffer[1]! & 0x7f;
        let offset = 2;
        if (length === 126) {
          if (buffer.length < 4) return;
          length = buffer.readUInt16BE(2);
          offset = 4;
        } else if (length === 127) {
          if (buffer.length < 10) return;
          length = Number(buffer.readBigUInt64BE(2));
          offset = 10;
        }
        if (buffer.length < offset + length) return;
        const payload = buffer.subarray(offset, offset + length);
        if (opcode === 0x8 && closeCode === null) {
          closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
          // As a real client would: the server's close frame ends the conversation.
          socket.end();
        }
        if (opcode === 0x1) messages.push(payload.toString('utf8'));
        buffer = buffer.subarray(offset + length);
      }
    };
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.subarray(0, end).toString('latin1');
        if (!head.startsWith('HTTP/1.1 101')) {
          socket.destroy();
          return reject(new Error(`handshake refused: ${head.split('\r\n')[0]}`));
        }
        upgraded = true;
        buffer = buffer.subarray(end + 4);
        resolve({ socket, send: (bytes) => socket.write(bytes), closed, messages });
      }
      readFrames();
    });
    socket.on('close', () => settleClosed({ closeCode }));
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      socket.write(
        [
          'GET /rpc HTTP/1.1',
          `Host: 127.0.0.1:${port}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
          'Sec-WebSocket-Version: 13',
          `Sec-WebSocket-Protocol: ${bridgeProtocol}, ${bridgeTokenPrefix}${token}`,
          `Origin: http://127.0.0.1:${port}`,
          '',
          '',
        ].join('\r\n'),
      );
    });
  });
}
