// End-to-end flow through nginx: two users, a WebSocket on one of the ws replicas, messages
// sent over REST must all arrive on the socket, in seq order, none missing, none duplicated.
// Usage: node --experimental-websocket e2e/cluster/flow.mjs [base-url] [messages]
import { apiClient, failWith } from './lib.mjs';

const base = process.argv[2] ?? 'http://localhost:8000';
const api = apiClient(base);
const fail = failWith('flow');
const count = Number(process.argv[3] ?? 20);
const suffix = Math.random().toString(36).slice(2, 8);



const alice = await api('POST', '/auth/register', null, { username: `e2e_a_${suffix}`, password: 'password123' });
const bob = await api('POST', '/auth/register', null, { username: `e2e_b_${suffix}`, password: 'password123' });
const { ticket } = await api('POST', '/auth/ws-ticket', bob.access_token, {});
const wsUrl = `${base.replace(/^http/, 'ws')}/ws?ticket=${encodeURIComponent(ticket)}`;
const socket = new WebSocket(wsUrl);
const received = [];
const ready = new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('no ready event within 10 s')), 10_000);
  socket.addEventListener('message', (e) => {
    const event = JSON.parse(e.data);
    if (event.type === 'ready') {
      clearTimeout(timer);
      resolve(event.data);
    }
    if (event.type === 'message.new') received.push(event.data);
  });
  socket.addEventListener('error', () => reject(new Error('socket error')));
});
const hello = await ready.catch((e) => fail(e.message));
const heartbeat = setInterval(() => socket.send(JSON.stringify({ type: 'heartbeat' })), hello.heartbeat_ms);

const dm = await api('POST', '/conversations/direct', alice.access_token, { user_id: bob.user.id });
for (let i = 1; i <= count; i++) {
  await api('POST', `/conversations/${dm.id}/messages`, alice.access_token, { client_id: crypto.randomUUID(), body: `e2e ${i}` });
}
const deadline = Date.now() + 15_000;
while (received.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
clearInterval(heartbeat);
socket.close(1000);

const seqs = received.filter((m) => m.conversation_id === dm.id).map((m) => m.seq);
const unique = new Set(seqs);
const missing = [];
for (let s = 1; s <= count; s++) if (!unique.has(s)) missing.push(s);
if (missing.length) fail(`missing seqs ${missing.join(',')} (got ${seqs.length})`);
const inOrder = seqs.every((s, i) => i === 0 || s > seqs[i - 1]);
console.log(JSON.stringify({ flow: 'ok', sent: count, received: seqs.length, duplicates: seqs.length - unique.size, in_order: inOrder, node: hello.session_id }));
