// One turn of the event loop for code that computes for a long time: pending network events (socket.io pings,
// data channel messages, our heartbeat timer) run before the next piece of work. Node has setImmediate; a
// browser gets a MessageChannel task, which hidden tabs do not throttle the way they throttle setTimeout.
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (cb: () => void) => unknown };
  if (typeof g.setImmediate === 'function') return new Promise((resolve) => g.setImmediate!(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
