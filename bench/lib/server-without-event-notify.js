'use strict';
/**
 * The built `agentsudo-server` CLI with one change, for pricing NOTIFY and nothing else: the
 * event writer's announcement of stored seqs to other instances is left out, so its group
 * commits run without `pg_notify` (and live feeds on PostgreSQL hear nothing). Key changes
 * and approvals still notify. Never run it outside a benchmark.
 *
 * @example
 * const { child, url } = await startServer(args, env, { entry: require.resolve('./lib/server-without-event-notify') });
 */
const { join } = require('node:path');

const dist = join(__dirname, '..', '..', 'packages', 'server', 'dist');
// The CLI requires the same module file, so it gets the patched class.
const { NotifyFanOut } = require(join(dist, 'storage', 'notify-fanout.js'));
NotifyFanOut.prototype.announce = async () => undefined;
require(join(dist, 'cli.js'));
