import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateGuard, pii, promptInjection, type LabelledCall } from '@agentsudo/guardrails';
import { ctx } from './context';

interface SetCall extends LabelledCall {
  family: string;
  tool: string;
  source: string;
  rationale: string;
  pii?: boolean;
}

const { calls } = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'labelled-set.json'), 'utf8')) as {
  calls: SetCall[];
};

/** The figures docs/guardrails.md reports, read from its table: the one place they are written. */
function documentedFigures(): Record<string, { precision: number; recall: number }> {
  const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'guardrails.md'), 'utf8');
  const table = /<!-- guardrail-figures[^>]*-->([\s\S]*?)<!-- \/guardrail-figures -->/.exec(doc)?.[1];
  if (!table) throw new Error('docs/guardrails.md has no guardrail-figures table');
  const figures: Record<string, { precision: number; recall: number }> = {};
  for (const [, guard, precision, recall] of table.matchAll(
    /^\| `(\w+)\(\)` \|[^|]*\| ([\d.]+) \| ([\d.]+) \|$/gm,
  )) {
    figures[guard] = { precision: Number(precision), recall: Number(recall) };
  }
  return figures;
}

describe('the labelled set', () => {
  it('holds at least 200 benign and 200 hostile calls, each with an id, its source and a rationale', () => {
    expect(calls.filter((c) => c.label === 'benign').length).toBeGreaterThanOrEqual(200);
    expect(calls.filter((c) => c.label === 'hostile').length).toBeGreaterThanOrEqual(200);
    expect(new Set(calls.map((c) => c.id)).size).toBe(calls.length);
    for (const c of calls) {
      expect([c.id, typeof c.source, c.rationale.length > 0, Array.isArray(c.args)]).toEqual([
        c.id,
        'string',
        true,
        true,
      ]);
    }
  });

  it('covers every rule of promptInjection() with hostile calls it catches', async () => {
    const guard = promptInjection();
    const rules = new Set<string>();
    for (const c of calls.filter((c) => c.label === 'hostile')) {
      const finding = (await guard.inspect(c.args, ctx)) as { rule: string } | undefined;
      if (finding) rules.add(finding.rule);
    }
    expect([...rules].sort()).toEqual(
      ['encoded', 'fake_delimiter', 'invisible', 'override', 'prompt_leak', 'role_play'].map(
        (r) => `prompt_injection.${r}`,
      ),
    );
  });

  it('documents figures for both guards', () => {
    expect(Object.keys(documentedFigures()).sort()).toEqual(['pii', 'promptInjection']);
  });

  it('promptInjection() keeps the precision and recall docs/guardrails.md reports', async () => {
    const floor = documentedFigures().promptInjection;
    const score = await evaluateGuard(promptInjection(), calls, ctx);
    expect({
      precision: score.precision >= floor.precision,
      recall: score.recall >= floor.recall,
      score,
    }).toMatchObject({
      precision: true,
      recall: true,
    });
  });

  it('pii() keeps the precision and recall docs/guardrails.md reports, on the calls labelled for personal data', async () => {
    const floor = documentedFigures().pii;
    const subset = calls
      .filter((c) => c.pii !== undefined)
      .map((c) => ({ ...c, label: c.pii ? ('hostile' as const) : ('benign' as const) }));
    const score = await evaluateGuard(pii(), subset, ctx);
    expect({
      precision: score.precision >= floor.precision,
      recall: score.recall >= floor.recall,
      score,
    }).toMatchObject({
      precision: true,
      recall: true,
    });
  });
});
