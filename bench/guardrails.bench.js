'use strict';
/**
 * The built-in guardrails: how well promptInjection() and pii() do on the labelled set in
 * packages/guardrails/test/fixtures/labelled-set.json (precision and recall, the figures
 * docs/guardrails.md reports and a test holds), and what each guard costs on a typical
 * refund call's arguments (ns per inspect, in this process, beside a guard that does nothing).
 *
 * @example
 * npm run bench -- guardrails
 */
const { Agent } = require('../packages/core/dist');
const g = require('../packages/guardrails/dist');
const { measure, report } = require('./lib/harness');

const { calls } = require('../packages/guardrails/test/fixtures/labelled-set.json');
const ctx = {
  agent: new Agent({ name: 'Bench', scopes: ['write:refunds'] }),
  scope: 'write:refunds',
  functionName: 'refund',
};
const typical = [
  'ord_8812',
  42.5,
  { note: 'Customer received a cracked mug, photo attached to ticket 5521.', channel: 'email' },
];

const guards = [
  ['no guard (baseline: a guard that returns nothing)', { name: 'none', inspect: () => undefined }],
  ['promptInjection()', g.promptInjection()],
  ['pii()', g.pii()],
  ["topics({ deny: 3 topics, 12 phrases })", g.topics({ deny: [
    { name: 'gambling', phrases: ['casino', 'gambl*', 'sports bet', 'poker'] },
    { name: 'medical', phrases: ['diagnosis', 'prescription', 'symptom*', 'dosage'] },
    { name: 'legal', phrases: ['lawsuit', 'attorney', 'sue', 'legal advice'] },
  ] })], // prettier-ignore
  ['deny.pattern(/\\bDROP\\s+TABLE\\b/i) (vm timeout)', g.deny.pattern(/\bDROP\s+TABLE\b/i)],
  [
    'detector() with a synchronous classifier',
    g.detector({ name: 'bench_model', classify: (t) => (t.length > 1e6 ? 1 : 0) }),
  ],
];

(async () => {
  const split = (pred) => calls.filter(pred);
  const pi = await g.evaluateGuard(g.promptInjection(), calls, ctx);
  const piiSet = split((c) => c.pii !== undefined).map((c) => ({
    ...c,
    label: c.pii ? 'hostile' : 'benign',
  }));
  const piiScore = await g.evaluateGuard(g.pii(), piiSet, ctx);
  const quality = {
    promptInjection: summary(pi, calls),
    pii: summary(piiScore, piiSet),
  };
  console.log('\n## guardrails: precision and recall on the labelled set');
  console.table(
    Object.entries(quality).map(([guard, q]) => ({
      guard,
      set: `${q.hostile} hostile, ${q.benign} benign`,
      precision: q.precision.toFixed(3),
      recall: q.recall.toFixed(3),
      'false alarms': q.falseAlarms.length,
      missed: q.missed.length,
    })),
  );

  let sink = 0;
  const rows = guards.map(([name, guard]) =>
    measure(name, () => (sink += guard.inspect(typical, ctx) === undefined ? 0 : 1), {
      batch: name.startsWith('deny.pattern') ? 20 : 1000,
    }),
  );
  if (sink !== 0) throw new Error('a guard found something in the typical arguments');
  report('guardrails', rows, {
    note: 'ns/op is one inspect() of a typical refund call: two ids, an amount and a one-sentence note',
    typicalArguments: typical,
    quality,
  });
})();

function summary(score, set) {
  return {
    hostile: set.filter((c) => c.label === 'hostile').length,
    benign: set.filter((c) => c.label === 'benign').length,
    precision: Number(score.precision.toFixed(4)),
    recall: Number(score.recall.toFixed(4)),
    truePositives: score.truePositives,
    falsePositives: score.falsePositives,
    falseNegatives: score.falseNegatives,
    falseAlarms: score.falseAlarms,
    missed: score.missed,
  };
}
