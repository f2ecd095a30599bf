// raw-bosh.mjs: a bare BOSH client for tests that must send what no
// well-behaved client sends: the hostile peer's stanzas (too many
// attributes, too deep, too big) through a real server to the client under
// test. One request at a time, wait='1' so the server never holds one
// long; SASL PLAIN; no checks beyond what a test needs.

const NS = "xmlns='http://jabber.org/protocol/httpbind'";

/** Logs in; returns { jid, send(xml), close() }. send resolves with the answer's text. */
export async function rawBoshLogin(service, { user, domain = 'localhost', password, resource = 'raw' }) {
  let rid = 1000 + Math.floor(Math.random() * 1e6);
  let sid = null;
  const post = async (body) => {
    const res = await fetch(service, { method: 'POST', body, headers: { 'Content-Type': 'text/xml; charset=utf-8' } });
    const text = await res.text();
    if (res.status !== 200 || /type='terminate'/.test(text)) throw new Error(`raw-bosh: ${res.status} ${text.slice(0, 300)}`);
    return text;
  };
  const request = (payload = '', extra = '') =>
    post(`<body rid='${rid++}' sid='${sid}' ${NS}${extra}>${payload}</body>`);
  const created = await post(`<body rid='${rid++}' to='${domain}' wait='1' hold='1' xmpp:version='1.0' ${NS} xmlns:xmpp='urn:xmpp:xbosh'/>`);
  sid = /sid='([^']+)'/.exec(created)[1];
  const plain = Buffer.from(`\0${user}\0${password}`).toString('base64');
  let answer = await request(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plain}</auth>`);
  if (!/<success/.test(answer)) throw new Error(`raw-bosh: SASL failed: ${answer}`);
  await request('', ` to='${domain}' xmpp:restart='true' xmlns:xmpp='urn:xmpp:xbosh'`);
  answer = await request(`<iq xmlns='jabber:client' type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>` +
    `<resource>${resource}</resource></bind></iq>`);
  // The bind result may come in this answer or the next one.
  for (let i = 0; i < 5 && !/<jid>/.test(answer); i++) answer += await request();
  const jid = /<jid>([^<]+)<\/jid>/.exec(answer)?.[1];
  if (!jid) throw new Error(`raw-bosh: bind failed: ${answer}`);
  return {
    jid,
    send: (xml) => request(xml),
    close: () => request(`<presence xmlns='jabber:client' type='unavailable'/>`, " type='terminate'").catch(() => {}),
  };
}
