'use strict';
/**
 * Ingest load as the SDK sends it: JSON bodies of `size` events (4 agents, 5 scopes, one in
 * ten denied) with fresh UUID v7 ids and the current time, built from a template so the
 * load generator spends little CPU of its own.
 *
 * @example
 * const makeBatch = batchFactory(100);
 * await postEvents(agent, url, key, makeBatch());
 * const rows = eventRows('prj_bench', 500, Date.now()); // the same events as stored rows
 */
const { newEventId } = require('../../packages/core/dist');

const AGENTS = ['SupportBot', 'BillingBot', 'OpsBot', 'SearchBot'];
const SCOPES = ['read:customers', 'read:orders', 'write:refunds', 'send:email', 'delete:users'];

/** The i-th event of the load, as the SDK records it, without its id and time. */
function loadEvent(i) {
  return {
    agentName: AGENTS[i % AGENTS.length],
    action: 'permission_check',
    scope: SCOPES[i % SCOPES.length],
    allowed: i % 10 !== 0,
    functionName: 'Service.method',
    sdk: 'agentsudo-js/0.1.0',
  };
}

/** A function that returns a new batch body each call. */
function batchFactory(size) {
  const events = Array.from({ length: size }, (_, i) => {
    const e = loadEvent(i);
    return {
      event_id: '@@ID@@',
      timestamp: '@@TS@@',
      agent_name: e.agentName,
      action: e.action,
      scope: e.scope,
      allowed: e.allowed,
      function_name: e.functionName,
      sdk: e.sdk,
    };
  });
  const parts = JSON.stringify(events).split(/"@@(?:ID|TS)@@"/);
  return () => {
    // Ids as the SDK makes them (UUID v7, time first).
    const now = Date.now();
    const ts = JSON.stringify(new Date(now).toISOString());
    let body = parts[0];
    for (let i = 1; i < parts.length; i++) {
      body += (i % 2 === 1 ? `"${newEventId(now)}"` : ts) + parts[i];
    }
    return body;
  };
}

/**
 * `size` stored-event rows (storage/event-columns.ts order) of the same load, all stamped at
 * millisecond `ms`: ids made then (UUID v7), times a microsecond apart from it.
 */
function eventRows(projectId, size, ms) {
  const { eventRow } = require('../../packages/server/dist/storage/event-columns');
  return Array.from({ length: size }, (_, i) =>
    eventRow(projectId, { eventId: newEventId(ms), ts: ms * 1000 + i, ...loadEvent(i) }, ms * 1000),
  );
}

module.exports = { batchFactory, eventRows };
