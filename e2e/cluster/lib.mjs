// Shared by the e2e cluster scripts: the REST client and a failure exit.

/** `fetch` on `<base>/api<path>` with JSON and a bearer token; throws with status and body. */
export function apiClient(base) {
  return async function api(method, path, token, body) {
    const init = {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    };
    // A kept-alive connection nginx closed as it was reused ("other side closed") fails before
    // an answer: once more on a new one (the scripts' sends carry a client_id, so never twice).
    const res = await fetch(`${base}/api${path}`, init).catch(() => fetch(`${base}/api${path}`, init));
    const json = await res.json().catch(() => null);
    if (!res.ok) throw new Error(`${method} ${path} -> ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
}

export function failWith(prefix) {
  return (message) => {
    console.error(`${prefix}: FAIL ${message}`);
    process.exit(1);
  };
}
