// A newcomer's first run: on a new database the api-server made the demo users (DEMO_DATA, the
// local cluster's default); each signs in and finds a direct chat and the demo group with
// their messages. Usage: node e2e/cluster/demo.mjs [base-url]
import { apiClient, failWith } from './lib.mjs';

const base = process.argv[2] ?? 'http://localhost:8000';
const api = apiClient(base);
const fail = failWith('demo');

for (const username of ['alice', 'bob', 'carol']) {
  const session = await api('POST', '/auth/login', null, { username, password: 'password123' }).catch((e) =>
    fail(`${username} cannot sign in: ${e.message}`),
  );
  const { items } = await api('GET', '/conversations', session.access_token);
  const expected = username === 'carol' ? 1 : 2; // carol is in the group only
  if (items.length !== expected) fail(`${username} sees ${items.length} chats, expected ${expected}`);
  for (const chat of items) {
    const page = await api('GET', `/conversations/${chat.id}/messages`, session.access_token);
    const seqs = page.items.map((m) => m.seq).join(',');
    if (seqs !== '1,2,3') fail(`${username}: chat ${chat.id} holds seqs [${seqs}], expected [1,2,3]`);
  }
}
console.log(JSON.stringify({ demo: 'ok', users: 3 }));
