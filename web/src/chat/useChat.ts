/**
 * The live conversation of one group: socket.io with resume by sequence number after every
 * (re)connect, an outbox of unsent messages retried with the same client id (never a duplicate),
 * typing and read state.
 */
import { io, type Socket } from 'socket.io-client';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { AttachmentDto, AuthorDto, ClientToServerEvents, GroupDto, MessageDto, ServerToClientEvents } from '@chatpro/common';

type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export type Target = { kind: 'guest'; token: string } | { kind: 'group'; groupId: string };

export interface PendingMessage {
  clientId: string;
  body: string;
  attachments: AttachmentDto[];
  state: 'sending' | 'failed';
  error?: string;
}

export interface ChatState {
  connected: boolean;
  group: GroupDto | null;
  messages: MessageDto[];
  pending: PendingMessage[];
  typing: AuthorDto[];
  error: string | null;
  /** The server said the chat is closed (its link expired while the page was open). */
  closed: boolean;
}

const newClientId = () =>
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * Adds messages, each once (by id), in time order. After a merge the sequence numbers follow
 * delivery, not time, so time orders the view and the highest number is the resume point.
 */
export function mergeMessages(current: MessageDto[], incoming: MessageDto[], remap: { id: string; seq: number }[] = []): MessageDto[] {
  if (incoming.length === 0 && remap.length === 0) return current;
  const byId = new Map(current.map((m) => [m.id, m]));
  let changed = false;
  for (const r of remap) {
    const m = byId.get(r.id);
    if (m && m.seq !== r.seq) {
      byId.set(r.id, { ...m, seq: r.seq });
      changed = true;
    }
  }
  for (const m of incoming) {
    if (byId.get(m.id)?.seq === m.seq) continue;
    byId.set(m.id, m);
    changed = true;
  }
  return changed ? [...byId.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.seq - b.seq) : current;
}

/**
 * Where to resume: the end of the unbroken run of sequence numbers. A live message that came
 * ahead of an earlier one must not make the client skip the earlier one after a reconnect.
 */
export function resumePoint(messages: MessageDto[]): number {
  if (messages.length === 0) return 0;
  const seqs = messages.map((m) => m.seq).sort((a, b) => a - b);
  let point = seqs[0]! - 1;
  for (const seq of seqs) {
    if (seq > point + 1) break;
    point = seq;
  }
  return point;
}

export function useChat(target: Target, opts: { as: 'internal' | 'external'; url?: string; me?: { id: string } | null }) {
  const [state, setState] = useState<ChatState>({ connected: false, group: null, messages: [], pending: [], typing: [], error: null, closed: false });
  const socketRef = useRef<ChatSocket | null>(null);
  const stateRef = useRef(state);
  stateRef.current = state;
  const groupIdRef = useRef<string | null>(target.kind === 'group' ? target.groupId : null);

  const update = (fn: (s: ChatState) => ChatState) => setState((s) => fn(s));

  const flushOutbox = useCallback(async (socket: ChatSocket) => {
    for (const p of stateRef.current.pending) {
      await sendNow(socket, p);
    }
  }, []);

  async function sendNow(socket: ChatSocket, p: PendingMessage): Promise<void> {
    const payload =
      groupIdRef.current || target.kind === 'group'
        ? { groupId: groupIdRef.current!, clientId: p.clientId, body: p.body, attachmentIds: p.attachments.map((a) => a.id) }
        : { linkToken: target.token, clientId: p.clientId, body: p.body, attachmentIds: p.attachments.map((a) => a.id) };
    update((s) => ({ ...s, pending: s.pending.map((x) => (x.clientId === p.clientId ? { ...x, state: 'sending' } : x)) }));
    try {
      const res = await socket.timeout(10_000).emitWithAck('message:send', payload);
      if (res.ok) {
        groupIdRef.current ??= res.message.groupId;
        update((s) => ({ ...s, messages: mergeMessages(s.messages, [res.message]), pending: s.pending.filter((x) => x.clientId !== p.clientId) }));
        if (!stateRef.current.group) void join(socket);
      } else {
        // Refused for good (closed chat, bad input): keep the text so that nothing typed is lost.
        update((s) => ({
          ...s,
          closed: s.closed || res.error.code === 'link_closed',
          pending: s.pending.map((x) => (x.clientId === p.clientId ? { ...x, state: 'failed', error: res.error.message } : x)),
        }));
      }
    } catch {
      // No answer (network): stays in the outbox and goes again, same client id, on reconnect.
      update((s) => ({ ...s, pending: s.pending.map((x) => (x.clientId === p.clientId ? { ...x, state: 'failed' } : x)) }));
    }
  }

  async function join(socket: ChatSocket): Promise<void> {
    let sinceSeq = resumePoint(stateRef.current.messages);
    const where = groupIdRef.current ? { groupId: groupIdRef.current } : target.kind === 'guest' ? { linkToken: target.token } : { groupId: target.groupId };
    for (;;) {
      const res = await socket.timeout(10_000).emitWithAck('chat:join', { ...where, sinceSeq });
      if (!res.ok) {
        update((s) => ({ ...s, error: res.error.message }));
        return;
      }
      if (res.group) groupIdRef.current = res.group.id;
      const merged = mergeMessages(stateRef.current.messages, res.messages, res.remap);
      stateRef.current = { ...stateRef.current, messages: merged };
      update((s) => ({ ...s, group: res.group ?? s.group, messages: merged, error: null }));
      if (!res.hasMore || res.messages.length === 0) return;
      sinceSeq = resumePoint(merged);
    }
  }

  useEffect(() => {
    const socket: ChatSocket = io(opts.url ?? '/', { withCredentials: true, auth: { as: opts.as } });
    socketRef.current = socket;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    const resume = () => {
      clearTimeout(retryTimer);
      join(socket)
        .then(() => flushOutbox(socket))
        .catch(() => {
          // No answer in time (a slow server, a flaky network): try again while connected.
          if (socket.connected) retryTimer = setTimeout(resume, 2000);
        });
    };
    socket.on('connect', () => {
      update((s) => ({ ...s, connected: true }));
      resume();
    });
    socket.on('disconnect', (reason) => {
      update((s) => ({ ...s, connected: false, typing: [] }));
      // socket.io does not come back by itself after the server let go (a restart, a deploy).
      if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 1000);
    });
    socket.on('connect_error', () => update((s) => ({ ...s, connected: false })));
    socket.on('message:new', (m) => {
      if (groupIdRef.current && m.groupId !== groupIdRef.current) return;
      update((s) => ({
        ...s,
        messages: mergeMessages(s.messages, [m]),
        // Our own message may come back by broadcast before its ack: it is no longer pending.
        pending: s.pending.filter((p) => p.clientId !== m.clientId),
        typing: s.typing.filter((a) => a.id !== m.author.id),
      }));
    });
    socket.on('group:changed', (g) => {
      if (groupIdRef.current === g.id) {
        update((s) => ({ ...s, group: g }));
        return;
      }
      if (target.kind !== 'guest' || !g.members.some((m) => m.kind === 'external' && m.id === opts.me?.id)) return;
      const previous = groupIdRef.current;
      if (!previous) {
        groupIdRef.current = g.id;
        update((s) => ({ ...s, group: g }));
        void join(socket).catch(() => {});
        return;
      }
      // Our group was merged into g, or we were added to g: resume from where we were. The
      // server follows a merge and answers what we lack; otherwise we move to g from the start.
      void join(socket)
        .then(() => {
          if (groupIdRef.current === previous) {
            groupIdRef.current = g.id;
            stateRef.current = { ...stateRef.current, messages: [] };
            update((s) => ({ ...s, group: g, messages: [] }));
            return join(socket);
          }
        })
        .catch(() => {});
    });
    const typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
    socket.on('typing', (e) => {
      if (e.groupId !== groupIdRef.current) return;
      const key = e.author.id ?? '';
      clearTimeout(typingTimers.get(key));
      update((s) => ({ ...s, typing: [...s.typing.filter((a) => a.id !== e.author.id), ...(e.typing ? [e.author] : [])] }));
      // A peer that vanishes mid-sentence stops "typing" after a while.
      if (e.typing) typingTimers.set(key, setTimeout(() => update((s) => ({ ...s, typing: s.typing.filter((a) => a.id !== e.author.id) })), 6000));
    });
    socket.on('read', (e) => {
      if (e.groupId !== groupIdRef.current) return;
      update((s) =>
        s.group ? { ...s, group: { ...s.group, members: s.group.members.map((m) => (m.id === e.memberId ? { ...m, lastReadSeq: e.seq } : m)) } } : s,
      );
    });
    return () => {
      clearTimeout(retryTimer);
      for (const t of typingTimers.values()) clearTimeout(t);
      socket.disconnect();
    };
    // The target identifies the conversation: a new one means a new hook instance (a new key).
  }, []);

  const send = useCallback((body: string, attachments: AttachmentDto[] = []) => {
    const p: PendingMessage = { clientId: newClientId(), body, attachments, state: 'sending' };
    update((s) => ({ ...s, pending: [...s.pending, p] }));
    const socket = socketRef.current;
    if (socket?.connected) void sendNow(socket, p);
  }, []);

  const retry = useCallback((clientId: string) => {
    const p = stateRef.current.pending.find((x) => x.clientId === clientId);
    const socket = socketRef.current;
    if (p && socket?.connected) void sendNow(socket, p);
  }, []);

  const discard = useCallback((clientId: string) => update((s) => ({ ...s, pending: s.pending.filter((x) => x.clientId !== clientId) })), []);

  const lastTyping = useRef(0);
  const setTyping = useCallback((typing: boolean) => {
    const socket = socketRef.current;
    const groupId = groupIdRef.current;
    if (!socket?.connected || !groupId) return;
    const now = Date.now();
    if (typing && now - lastTyping.current < 2500) return;
    lastTyping.current = typing ? now : 0;
    socket.emit('typing', { groupId, typing });
  }, []);

  const markRead = useCallback((seq: number) => {
    const socket = socketRef.current;
    const groupId = groupIdRef.current;
    if (socket?.connected && groupId) socket.emit('read', { groupId, seq });
  }, []);

  return { ...state, send, retry, discard, setTyping, markRead };
}
