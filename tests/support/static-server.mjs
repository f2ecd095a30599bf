// static-server.mjs: serves files over HTTP on 127.0.0.1 for browser tests,
// the demo and benchmarks. routes: { '/path': { type, body } | { type, file } };
// headers: extra headers sent with every response (the demo's CSP);
// prefixes: when given, only files under one of these folders ('dist') are served
// from the root (routes always are), everything else is a 404.
import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.map': 'application/json',
};

export function startStaticServer(rootDir, { routes = {}, headers = {}, prefixes } = {}) {
  const root = path.resolve(rootDir);
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://localhost');
      const route = routes[url.pathname];
      if (route) {
        const body = route.file ? await fs.readFile(route.file) : route.body;
        res.writeHead(200, { ...headers, 'Content-Type': route.type, 'Cache-Control': 'no-store' });
        res.end(body);
        return;
      }
      const file = path.resolve(root, `.${decodeURIComponent(url.pathname)}`);
      // Never serve outside the root (nor, with prefixes, outside those folders), checked on the resolved path.
      if (file !== root && !file.startsWith(root + path.sep)) throw Object.assign(new Error('outside'), { code: 'ENOENT' });
      if (prefixes && !prefixes.some((p) => file.startsWith(path.join(root, p) + path.sep))) {
        throw Object.assign(new Error('not served'), { code: 'ENOENT' });
      }
      const data = await fs.readFile(file);
      res.writeHead(200, {
        ...headers,
        'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'Cache-Control': 'no-store',
      });
      res.end(data);
    } catch (err) {
      res.writeHead(err.code === 'ENOENT' || err.code === 'EISDIR' ? 404 : 500, { ...headers, 'Content-Type': 'text/plain' });
      res.end(String(err.code ?? err.message));
    }
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        close: () => new Promise((r) => {
          server.closeAllConnections?.();
          server.close(() => r());
        }),
      });
    });
  });
}
