'use strict';
/**
 * The allowed path of a protected call, against a plain call and a hand-written
 * `Set.has` check. No transport listens to allowed checks (the default), so no event
 * is built. Target: under 50 ns of overhead per allowed call over a plain call.
 */
const core = require('../packages/core/dist');
const { measure, report } = require('./lib/harness');

core.configure({ transports: [] }); // local-only mode: allowed checks are silent

class CustomerService {
  getCustomer(id) {
    return id;
  }
}
const plainService = new CustomerService();

class ProtectedService {
  getCustomer(id) {
    return id;
  }
  readOrders(id) {
    return id;
  }
}
for (const [method, scope] of [
  ['getCustomer', 'read:customers'],
  ['readOrders', 'read:orders'],
]) {
  const desc = Object.getOwnPropertyDescriptor(ProtectedService.prototype, method);
  Object.defineProperty(
    ProtectedService.prototype,
    method,
    core.Sudo(scope)(ProtectedService.prototype, method, desc),
  );
}
const protectedService = new ProtectedService();
const wrappedFn = core.sudo('read:customers', (id) => id);

const granted = new Set(['read:customers', 'read:orders']);
function handChecked(id) {
  if (!granted.has('read:customers')) throw new Error('denied');
  return plainService.getCustomer(id);
}

const exact = new core.Agent({ name: 'SupportBot', scopes: ['read:customers', 'read:orders'] });
const wildcard = new core.Agent({ name: 'WildBot', scopes: ['write:*', 'read:*'] });

let sink = 0;
const rows = [];
rows.push(measure('plain method call', () => (sink += plainService.getCustomer(1))));
rows.push(measure('hand-written Set.has check', () => (sink += handChecked(1))));
exact.startSession(() => {
  rows.push(measure('@Sudo method, exact scope', () => (sink += protectedService.getCustomer(1))));
  rows.push(measure('sudo() function, exact scope', () => (sink += wrappedFn(1))));
});
wildcard.startSession(() => {
  rows.push(measure('@Sudo method, wildcard scope', () => (sink += protectedService.readOrders(1))));
});
// With a transport that wants allowed checks, each call also builds one event.
let received = 0;
core.configure({ transports: [{ name: 'count', log: () => received++ }] });
exact.startSession(() => {
  rows.push(
    measure('@Sudo method + event to a listening transport', () => (sink += protectedService.getCustomer(1))),
  );
});
core.configure({ transports: [] });

const plain = rows[0].nsPerOp;
const overhead = Object.fromEntries(rows.map((r) => [r.name, +(r.nsPerOp - plain).toFixed(1)]));
for (const r of rows) r.extra = { 'overhead ns': (r.nsPerOp - plain).toFixed(1) };
report('core-check', rows, {
  overheadNsOverPlain: overhead,
  targetOverheadNs: 50,
  note: 'allowed path; rows 2-4 with no transport listening to allowed checks (no event built); one process, one run',
});
if (sink === -1) console.log('');
