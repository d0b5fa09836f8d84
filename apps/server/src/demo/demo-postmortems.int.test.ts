import { expect, it } from 'vitest';
import { describeEachEngine } from '../../../../test-support/engines.ts';
import { seedDemo } from './demo.ts';

describeEachEngine('demo postmortems', (get) => {
  it('seeds a published postmortem with done and open items, a late one and an overdue draft', async () => {
    const t = get();
    await seedDemo(t.container);
    const list = (await t.call('GET', '/api/v1/postmortems')).json.items;
    expect(list).toHaveLength(3);
    const published = list.filter((p: { status: string }) => p.status === 'published');
    expect(published.map((p: { published_on_time: boolean }) => p.published_on_time).sort()).toEqual([
      false,
      true,
    ]);
    const drafts = list.filter((p: { status: string }) => p.status === 'draft');
    expect(drafts).toHaveLength(1);
    expect(drafts[0].overdue).toBe(true);
    // The draft's false positive stays dismissed: its lint finds nothing about Nightwatch.
    const lint = (await t.call('GET', `/api/v1/postmortems/${drafts[0].id}/lint`)).json;
    expect(lint.dismissed.map((d: { rule: string; text: string }) => [d.rule, d.text])).toEqual([
      ['person-as-subject', 'nightwatch ignored'],
    ]);
    expect(lint.findings).toEqual([]);
    const unfiltered = (
      await t.call('POST', '/api/v1/postmortems/lint', {
        body: { markdown: (await t.call('GET', `/api/v1/postmortems/${drafts[0].id}`)).json.markdown },
      })
    ).json.findings;
    expect(unfiltered.map((f: { text: string }) => f.text)).toEqual(['Nightwatch ignored']);
    // And the published ones are found by full-text search.
    const hits = (await t.call('GET', '/api/v1/postmortems/search?q=%22connection%20pool%22')).json.items;
    expect(hits.map((h: { id: string }) => h.id)).toEqual([
      published.find((p: { published_on_time: boolean }) => p.published_on_time).id,
    ]);

    const onTime = published.find((p: { published_on_time: boolean }) => p.published_on_time);
    const full = (await t.call('GET', `/api/v1/postmortems/${onTime.id}`)).json;
    expect(full.markdown).toContain('## Root Cause\n\nA configuration change');
    expect(full.action_items.map((i: { status: string }) => i.status).sort()).toEqual(['done', 'open']);
    expect(full.action_items.every((i: { owner_id: string | null }) => i.owner_id)).toBe(true);
    expect((await t.call('GET', `/api/v1/incidents/${onTime.incident_id}`)).json.status).toBe('reviewed');
    const stats = (await t.call('GET', '/api/v1/postmortems/stats')).json;
    expect(stats.overdue).toBe(1);

    // A second run adds nothing.
    await seedDemo(t.container);
    expect((await t.call('GET', '/api/v1/postmortems')).json.items).toHaveLength(3);
  }, 60_000);
});
