// Server-sent events, split incrementally: each network chunk yields the
// events it completes, the incomplete tail waits for the next chunk. Nothing
// else is held back, so a stream flows through at the pace it arrives.
// (WHATWG SSE framing: events end at a blank line; "data:" lines join with \n.)

export interface SseEvent {
  /** The event exactly as received, separator included. */
  raw: string;
  /** The "event:" field, if any. */
  event?: string;
  /** The joined "data:" lines. */
  data: string;
}

const EVENT_END = /\r\n\r\n|\n\n|\r\r/g;

export class SseSplitter {
  private readonly decoder = new TextDecoder();
  private pending = '';

  push(chunk: Uint8Array): SseEvent[] {
    this.pending += this.decoder.decode(chunk, { stream: true });
    const events: SseEvent[] = [];
    let start = 0;
    EVENT_END.lastIndex = 0;
    for (let m = EVENT_END.exec(this.pending); m; m = EVENT_END.exec(this.pending)) {
      const end = m.index + m[0].length;
      events.push(parseEvent(this.pending.slice(start, end), this.pending.slice(start, m.index)));
      start = end;
    }
    this.pending = this.pending.slice(start);
    return events;
  }
}

function parseEvent(raw: string, body: string): SseEvent {
  const data: string[] = [];
  let event: string | undefined;
  for (const line of body.split(/\r\n|\n|\r/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const name = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'data') data.push(value);
    else if (name === 'event') event = value;
  }
  return event === undefined ? { raw, data: data.join('\n') } : { raw, event, data: data.join('\n') };
}

/** The JSON payload of an event, or undefined (e.g. OpenAI's "[DONE]"). */
export function eventJson(event: SseEvent): unknown {
  if (event.data === '' || event.data === '[DONE]') return undefined;
  try {
    return JSON.parse(event.data) as unknown;
  } catch {
    return undefined;
  }
}
