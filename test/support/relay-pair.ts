// Two ends of one socket.io connection on loopback (a server socket and a client socket), each as a relay
// data channel: the road a peer's frames take when WebRTC cannot connect. For tests and bench:protocol.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { MAX_FRAME_BYTES } from '../../protocol/framing.ts';
import { fromRelaySocket, type RelaySocketLike } from '../../protocol/relay-channel.ts';
import type { DataChannelLike } from '../../protocol/channel.ts';

export interface SocketPair {
  server: ServerSocket;
  client: ClientSocket;
  close(): Promise<void>;
}

export async function connectSocketPair(): Promise<SocketPair> {
  const httpServer = http.createServer();
  const io = new Server(httpServer, { maxHttpBufferSize: 2 * MAX_FRAME_BYTES });
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', () => r()));
  const server = new Promise<ServerSocket>((r) => io.on('connection', r));
  const port = (httpServer.address() as AddressInfo).port;
  const client = connectClient(`http://127.0.0.1:${port}`, { transports: ['websocket'], forceNew: true });
  return {
    server: await server,
    client,
    async close() {
      client.disconnect();
      await new Promise<void>((r) => io.close(() => r()));
    },
  };
}

/** One end of the connection as the data channel the relay makes of it. */
export function relayOf(socket: ServerSocket | ClientSocket): DataChannelLike {
  return fromRelaySocket(socket as unknown as RelaySocketLike, {
    onSocketClose: (cb) => socket.on('disconnect', () => cb()),
    closeSocket: () => socket.disconnect(),
  });
}
