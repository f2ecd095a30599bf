// register.mjs: many accounts fast, by in-band registration (XEP-0077) over
// one plain c2s stream on loopback, pipelined; ejabberdctl starts an Erlang
// VM per account (about half a second each). The server needs mod_register
// and no registration_timeout: see REGISTER_YAML.
import net from 'node:net';

/** ejabberd configuration (startEjabberd's extraYaml) that allows it from loopback. */
export const REGISTER_YAML = `  mod_register:
    access: all
    ip_access: all
registration_timeout: infinity
`;

/** Registers [{user, password}] at 127.0.0.1:port; resolves with how many succeeded. */
export function registerInBand(port, domain, accounts, timeoutMs = 120000) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = '';
    let ok = 0;
    let answered = 0;
    let sent = false;
    const failures = [];
    const timer = setTimeout(() => finish(new Error(`in-band registration: ${answered}/${accounts.length} answered in ${timeoutMs} ms`)), timeoutMs);
    function finish(err) {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve({ ok, failures });
    }
    sock.on('error', finish);
    sock.setEncoding('utf8');
    sock.write(`<?xml version='1.0'?><stream:stream to='${domain}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`);
    sock.on('data', (d) => {
      buf += d;
      if (!sent && buf.includes('</stream:features>')) {
        sent = true;
        sock.write(accounts.map(({ user, password }, i) => `<iq type='set' id='reg${i}'><query xmlns='jabber:iq:register'>` +
          `<username>${user}</username><password>${password}</password></query></iq>`).join(''));
      }
      for (let m; (m = /<iq\b[^>]*>/.exec(buf));) {
        const tag = m[0];
        const type = /type=['"]([^'"]+)/.exec(tag)?.[1];
        const end = tag.endsWith('/>') ? m.index + tag.length : buf.indexOf('</iq>', m.index);
        if (end < 0) break;
        answered++;
        if (type === 'result') ok++;
        else failures.push(buf.slice(m.index, Math.min(end + 5, m.index + 400)));
        buf = buf.slice(tag.endsWith('/>') ? end : end + 5);
      }
      if (answered === accounts.length) finish();
    });
  });
}
