// Proof that a real Chromium tab and a Node @roamhq/wrtc peer connect over loopback WebRTC and exchange
// data both ways. It validates the launch flags and the browser builds of simple-peer and socket.io-client
// before any training code depends on them.
import { createServer, type Server as HttpServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Server as IoServer } from 'socket.io';
import SimplePeer from 'simple-peer';
import wrtc from '@roamhq/wrtc';
import { chromiumAvailable, launchBrowser, type BrowserSession } from './browser/harness.ts';

const require = createRequire(import.meta.url);
const simplePeerJs = readFileSync(require.resolve('simple-peer/simplepeer.min.js'));

// The tab answers: it receives the Node peer's offer through socket.io, then echoes each message uppercased.
const PAGE = `<!doctype html><meta charset="utf-8"><title>webrtc proof</title>
<script src="/simplepeer.min.js"></script><script src="/socket.io/socket.io.min.js"></script>
<script>
  const socket = io();
  const peer = new SimplePeer({ initiator: false, trickle: true });
  peer.on('signal', (s) => socket.emit('signal', s));
  socket.on('signal', (s) => peer.signal(s));
  peer.on('data', (d) => peer.send(new TextDecoder().decode(d).toUpperCase()));
  peer.on('connect', () => { document.title = 'connected'; });
  peer.on('error', (e) => { document.title = 'error: ' + e.message; });
</script>`;

describe.runIf(chromiumAvailable())('browser <-> Node WebRTC over loopback', () => {
  let http: HttpServer;
  let io: IoServer;
  let browser: BrowserSession;
  let url: string;

  beforeAll(async () => {
    http = createServer((req, res) => {
      if (req.url === '/simplepeer.min.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(simplePeerJs);
      } else res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    });
    io = new IoServer(http);
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const address = http.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    url = `http://127.0.0.1:${address.port}/`;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    io?.close();
    await new Promise((r) => http?.close(r));
  });

  it('connects and echoes messages, including a 64 KiB one', async () => {
    const tabJoined = new Promise<import('socket.io').Socket>((r) => io.once('connection', r));
    const page = await browser.newPage();
    await page.goto(url);
    const socket = await tabJoined;

    const node = new SimplePeer({ initiator: true, trickle: true, wrtc });
    node.on('signal', (s) => socket.emit('signal', s));
    socket.on('signal', (s) => node.signal(s));
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no WebRTC connection; tab logs:\n${browser.logs.join('\n')}`)), 20_000);
      node.once('connect', () => { clearTimeout(timer); resolve(); });
      node.once('error', reject);
    });
    const connectMs = Date.now() - started;

    const replies: string[] = [];
    node.on('data', (d: Uint8Array) => replies.push(Buffer.from(d).toString()));
    const big = 'x'.repeat(64 * 1024);
    node.send('hello from node');
    node.send(big);
    await expect.poll(() => replies.length, { timeout: 10_000 }).toBe(2);
    expect(replies[0]).toBe('HELLO FROM NODE');
    expect(replies[1]).toBe(big.toUpperCase());
    expect(await page.title()).toBe('connected');
    expect(connectMs).toBeLessThan(20_000);
    node.destroy();
  });
});
