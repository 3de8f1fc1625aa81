'use strict';
/**
 * The allowed path of a protected call, against a plain call and a hand-written
 * `Set.has` check. No transport listens to allowed checks (the default), so no event
 * is built. Target: under 50 ns of overhead per allowed call over a plain call, and at
 * most 60 ns over a plain call for an agent with an in-process rate limit AND a budget
 * on the scope (a clock read, two sliding windows and the method's cost function).
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

class LimitedService {
  refund(orderId, amount) {
    return amount;
  }
}
{
  const desc = Object.getOwnPropertyDescriptor(LimitedService.prototype, 'refund');
  Object.defineProperty(
    LimitedService.prototype,
    'refund',
    core.Sudo('write:refunds', { cost: (orderId, amount) => amount })(
      LimitedService.prototype,
      'refund',
      desc,
    ),
  );
}
const limitedService = new LimitedService();
const plainRefunds = { refund: (orderId, amount) => amount };
const wrappedFn = core.sudo('read:customers', (id) => id);

const granted = new Set(['read:customers', 'read:orders']);
function handChecked(id) {
  if (!granted.has('read:customers')) throw new Error('denied');
  return plainService.getCustomer(id);
}

const exact = new core.Agent({ name: 'SupportBot', scopes: ['read:customers', 'read:orders'] });
const wildcard = new core.Agent({ name: 'WildBot', scopes: ['write:*', 'read:*'] });
// Limits far above what the run takes, so every measured call is allowed.
const limited = new core.Agent({
  name: 'RefundBot',
  scopes: ['write:refunds'],
  limits: { 'write:refunds': { max: 1e12, per: '1h' } },
  budgets: { 'write:refunds': { max: 1e15, per: '1d' } },
});

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
// Side by side: the same two-argument call, plain, with today's check, and with a limit and a budget.
rows.push(measure('plain call, 2 arguments', () => (sink += plainRefunds.refund('o-1', 1))));
// The same method for an agent without limits: today's check.
new core.Agent({ name: 'Refunder', scopes: ['write:refunds'] }).startSession(() => {
  rows.push(measure('@Sudo method, no limits (today)', () => (sink += limitedService.refund('o-1', 1))));
});
limited.startSession(() => {
  rows.push(
    measure(
      '@Sudo method + rate limit + budget (in-process)',
      () => (sink += limitedService.refund('o-1', 1)),
    ),
  );
});
// What one clock read costs on this machine: the limited path reads the clock once per call.
rows.push(measure('Date.now() alone', () => (sink += Date.now())));
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
  targetLimitedOverheadNs: 60,
  limitedOverheadNsOverPlain: +(
    rows.find((r) => r.name.startsWith('@Sudo method + rate limit')).nsPerOp -
    rows.find((r) => r.name === 'plain call, 2 arguments').nsPerOp
  ).toFixed(1),
  clockReadNs: +rows.find((r) => r.name === 'Date.now() alone').nsPerOp.toFixed(1),
  note: 'allowed path; no transport listening to allowed checks (no event built) except in the last row; the rate limit + budget row is compared with the plain 2-argument call; one process, one run',
});
if (sink === -1) console.log('');
