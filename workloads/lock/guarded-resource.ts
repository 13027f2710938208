/**
 * The storage a lock is supposed to protect, owned by the harness so it is the one source of truth about what
 * holders actually did: a counter and a set per lock, updated by read-modify-write. It logs every read and write
 * (accepted or not) with the client's worker, token and the versions involved, so the checkers can replay it.
 *
 * Versions: 0 is the empty state; every accepted write makes a new version whose parent is the version the writer
 * read (`basedOn`) and whose set is the parent's set plus the added element. A write based on anything but the
 * current version overwrites someone's update: that is how a lock failure turns into lost data. With fencing on,
 * any read or write carrying a token lower than the highest token seen is rejected (Kleppmann's fencing tokens; a
 * fenced read also raises the bar, so a stale holder cannot write back what it read before a newer holder).
 */

/** A read or write request from a lock client. */
export interface ResourceRequest {
  op: 'read' | 'write';
  lock: string;
  worker: number;
  /** The holder's fencing token, or null for backends without one. */
  token: number | null;
  /** write: the version the writer read. */
  basedOn?: number;
  /** write: the element to add to the set. */
  add?: number;
}

/** What the resource answered; `version`/`counter` describe the state after the op when accepted. */
export interface ResourceReply {
  accepted: boolean;
  version?: number;
  counter?: number;
  reason?: string;
}

/** The history record the resource writes for every request (process `resource`, a bare `info`). */
export interface ResourceRecord {
  process: 'resource';
  type: 'info';
  f: 'read' | 'write';
  key: string;
  value: {
    worker: number;
    token: number | null;
    fenced: boolean;
    accepted: boolean;
    version?: number;
    basedOn?: number;
    add?: number;
    maxToken: number | null;
    reason?: string;
  };
}

interface LockState {
  current: number;
  lastVersion: number;
  /** Chain length (the counter) of every version. */
  length: Map<number, number>;
  maxToken: number | null;
}

/** The resource's state and rules, free of I/O so it is easy to test. */
export class GuardedResource {
  private readonly locks = new Map<string, LockState>();

  constructor(
    readonly fenced: boolean,
    private readonly record: (rec: ResourceRecord) => void,
  ) {}

  private state(lock: string): LockState {
    let s = this.locks.get(lock);
    if (!s) {
      s = { current: 0, lastVersion: 0, length: new Map([[0, 0]]), maxToken: null };
      this.locks.set(lock, s);
    }
    return s;
  }

  /** Applies one request atomically and logs it. */
  apply(req: ResourceRequest): ResourceReply {
    const s = this.state(req.lock);
    const token = typeof req.token === 'number' ? req.token : null;
    let reply: ResourceReply;
    let basedOn: number | undefined;
    if (this.fenced && token !== null && s.maxToken !== null && token < s.maxToken) {
      reply = { accepted: false, reason: `stale token ${token} < ${s.maxToken}` };
    } else if (req.op === 'read') {
      reply = { accepted: true, version: s.current, counter: s.length.get(s.current)! };
    } else {
      basedOn = req.basedOn;
      const parentLength = basedOn !== undefined ? s.length.get(basedOn) : undefined;
      if (parentLength === undefined) {
        reply = { accepted: false, reason: `unknown version ${String(basedOn)}: read before writing` };
      } else {
        const version = ++s.lastVersion;
        s.length.set(version, parentLength + 1);
        s.current = version;
        reply = { accepted: true, version, counter: parentLength + 1 };
      }
    }
    if (reply.accepted && token !== null && (s.maxToken === null || token > s.maxToken)) s.maxToken = token;
    this.record({
      process: 'resource',
      type: 'info',
      f: req.op,
      key: req.lock,
      value: {
        worker: req.worker,
        token,
        fenced: this.fenced,
        accepted: reply.accepted,
        ...(reply.version !== undefined ? { version: reply.version } : {}),
        ...(basedOn !== undefined ? { basedOn } : {}),
        ...(req.op === 'write' && req.add !== undefined ? { add: req.add } : {}),
        maxToken: s.maxToken,
        ...(reply.reason ? { reason: reply.reason } : {}),
      },
    });
    return reply;
  }
}
