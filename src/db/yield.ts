/**
 * Lets the event loop run (I/O, timers, other requests) between slices of background work. setImmediate
 * where the runtime has it (Node, Bun, Deno); elsewhere (browsers, Web Workers, edge runtimes) a
 * MessageChannel message, a macrotask that, unlike setTimeout(0), browsers do not clamp to 4 ms.
 */
type Resume = () => void;

let channel: { port: MessagePort; waiting: Resume[] } | null = null;

function viaMessageChannel(resume: Resume): void {
  if (channel === null) {
    const { port1, port2 } = new MessageChannel();
    const waiting: Resume[] = [];
    port1.onmessage = () => waiting.shift()?.();
    channel = { port: port2, waiting };
  }
  channel.waiting.push(resume);
  channel.port.postMessage(null);
}

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof setImmediate === 'function') setImmediate(resolve);
    else if (typeof MessageChannel === 'function') viaMessageChannel(resolve);
    else setTimeout(resolve, 0);
  });
}
