/**
 * The bare socket.io relay of the idle-socket measurement, in a process of its own: no storage,
 * no session; each socket joins one room (`auth.i`) and may relay `send` to it, like the relay of
 * bench/run.ts. Prints `listening <url>`; with --expose-gc, SIGUSR2 collects garbage
 * and prints `memory <process.memoryUsage() JSON>`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';

const http = createServer();
const io = new Server(http, { serveClient: false, maxHttpBufferSize: 1e6 });
io.on('connection', (socket) => {
  const room = `group:${String((socket.handshake.auth as { i?: unknown }).i)}`;
  void socket.join(room);
  socket.on('send', (m: { id: string; body: string }, ack: (r: unknown) => void) => {
    ack({ ok: true });
    socket.to(room).emit('msg', m);
  });
});
const gc = (globalThis as { gc?: () => void }).gc;
if (gc)
  process.on('SIGUSR2', () => {
    gc();
    process.stdout.write(`memory ${JSON.stringify(process.memoryUsage())}\n`);
  });
http.listen(0, '127.0.0.1', () => process.stdout.write(`listening http://127.0.0.1:${(http.address() as AddressInfo).port}\n`));
