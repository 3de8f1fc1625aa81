'use strict';
/**
 * Ingest load as the SDK sends it: JSON bodies of `size` events (4 agents, 5 scopes, one in
 * ten denied) with fresh UUID v7 ids and the current time, built from a template so the
 * load generator spends little CPU of its own.
 *
 * @example
 * const makeBatch = batchFactory(100);
 * await postEvents(agent, url, key, makeBatch());
 */
const { newEventId } = require('../../packages/core/dist');

/** A function that returns a new batch body each call. */
function batchFactory(size) {
  const agents = ['SupportBot', 'BillingBot', 'OpsBot', 'SearchBot'];
  const scopes = ['read:customers', 'read:orders', 'write:refunds', 'send:email', 'delete:users'];
  const events = Array.from({ length: size }, (_, i) => ({
    event_id: '@@ID@@',
    timestamp: '@@TS@@',
    agent_name: agents[i % agents.length],
    action: 'permission_check',
    scope: scopes[i % scopes.length],
    allowed: i % 10 !== 0,
    function_name: 'Service.method',
    sdk: 'agentsudo-js/0.1.0',
  }));
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

module.exports = { batchFactory };
