'use strict';
/**
 * CPU time of a PostgreSQL cluster running on this machine: its postmaster and every
 * process it started (client backends, the LISTEN sessions, checkpointer, WAL writer,
 * autovacuum), read from /proc. Backends that exited are counted through the postmaster's
 * own tally of its reaped children.
 *
 * @example
 * const pg = await postgresCpu(adminUrl); // undefined when the server is not on this machine
 * const before = pg.seconds(); … ; const used = pg.seconds() - before;
 */
const { readdirSync, readFileSync } = require('node:fs');

/** Fields of /proc/<pid>/stat after the command name: [2] is ppid, [11..14] utime, stime, cutime, cstime. */
function statFields(pid) {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  } catch {
    return undefined; // the process ended between listing and reading
  }
}

const TICKS_PER_SECOND = 100;

/**
 * Finds the postmaster of the server `adminUrl` names, through the pid of a backend it
 * serves us; undefined when that pid is not a PostgreSQL process here (a remote server).
 */
async function postgresCpu(adminUrl) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  let fields;
  try {
    const backend = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    // Read while the backend still runs: it exits once the client ends.
    fields = statFields(backend);
  } finally {
    await client.end();
  }
  if (!fields) return undefined;
  const postmaster = Number(fields[1]);
  let command;
  try {
    command = readFileSync(`/proc/${postmaster}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
  if (!/postgres/.test(command)) return undefined;
  return {
    postmaster,
    /** CPU seconds (user + system) the cluster has used so far. */
    seconds() {
      const own = statFields(postmaster);
      let ticks = own ? Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]) : 0;
      for (const name of readdirSync('/proc')) {
        if (!/^\d+$/.test(name)) continue;
        const f = statFields(name);
        if (f && Number(f[1]) === postmaster) ticks += Number(f[11]) + Number(f[12]);
      }
      return ticks / TICKS_PER_SECOND;
    },
  };
}

module.exports = { postgresCpu };
