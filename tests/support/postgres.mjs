// postgres.mjs: a private PostgreSQL (Debian's package) for the cluster
// tests: its own data directory in a temp folder, run as user postgres,
// listening on 127.0.0.1 at a free port (its Unix socket in that folder),
// with one database holding ejabberd's schema. Stopped when the process
// exits.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ejabberd.mjs';

const run = promisify(execFile);
const running = new Set();

/** The newest installed server's bin folder (Debian: /usr/lib/postgresql/<major>/bin). */
function binDir() {
  const base = '/usr/lib/postgresql';
  const majors = existsSync(base) ? readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => b - a) : [];
  if (!majors.length) throw new Error('PostgreSQL is not installed (bash tests/support/ensure-system.sh installs it)');
  return path.join(base, majors[0], 'bin');
}

const asPostgres = (cmd, args, opts = {}) => run('runuser', ['-u', 'postgres', '--', cmd, ...args], { timeout: 60000, ...opts });

/**
 * Starts PostgreSQL with a database for ejabberd (schema: /usr/share/ejabberd/sql/pg.sql).
 * Local connections are trusted: loopback only, a throwaway cluster.
 * Returns { port, database, username, password, psql(sql), stop() }.
 */
export async function startPostgres({ database = 'ejabberd', username = 'ejabberd', password = 'ejabberd' } = {}) {
  const bin = binDir();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xw-postgres-'));
  const data = path.join(dir, 'data');
  const port = await freePort();
  await run('chown', ['postgres:postgres', dir]);
  await asPostgres(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  const db = {
    dir, port, database, username, password,
    psql: async (sql, user = 'postgres', dbName = 'postgres') => {
      const { stdout } = await run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port),
        '-U', user, '-d', dbName, '-At', '-c', sql], { timeout: 60000 });
      return stdout;
    },
    stop: async () => {
      if (!running.has(db)) return;
      running.delete(db);
      await asPostgres(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
  running.add(db);
  try {
    await asPostgres(path.join(bin, 'pg_ctl'), ['-D', data, '-l', path.join(dir, 'postgres.log'), '-w', '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c synchronous_commit=off`, 'start'], { cwd: dir });
    await db.psql(`CREATE USER ${username} PASSWORD '${password}'`);
    await db.psql(`CREATE DATABASE ${database} OWNER ${username}`);
    await run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', username, '-d', database,
      '-f', '/usr/share/ejabberd/sql/pg.sql'], { timeout: 60000 });
  } catch (err) {
    await db.stop();
    throw new Error(`PostgreSQL did not start: ${err.message}`);
  }
  return db;
}

process.once('exit', () => {
  for (const db of running) {
    try {
      execFileSync('runuser', ['-u', 'postgres', '--', path.join(binDir(), 'pg_ctl'), '-D', path.join(db.dir, 'data'), '-m', 'immediate', 'stop'], { stdio: 'ignore' });
    } catch {
      // already gone
    }
    rmSync(db.dir, { recursive: true, force: true });
  }
});
