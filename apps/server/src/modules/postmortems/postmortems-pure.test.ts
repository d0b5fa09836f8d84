import { describe, expect, it } from 'vitest';
import { parseActionItems, withLiveStatus } from './action-item-parser.ts';
import { lintBlameless } from './blameless-lint.ts';
import { renderMarkdown, renderStandalonePage } from './markdown-render.ts';
import { buildPostmortemTemplate, humanDuration, TEMPLATE_HEADINGS } from './postmortem-template.ts';
import { hasPositiveTerm, MARK_END, MARK_START, splitHighlights, toFts5Query } from './search-query.ts';

describe('postmortem template', () => {
  const incident = {
    number: 7,
    title: 'Checkout errors',
    severity: 'SEV2',
    triggered_at: '2025-03-30T00:30:00.000Z',
    mitigated_at: null,
    resolved_at: '2025-03-30T02:45:00.000Z',
    service_name: 'checkout-api',
  };
  const timeline = [
    { at: '2025-03-30T02:45:00.000Z', text: 'Ada resolved the incident' },
    { at: '2025-03-30T00:30:00.000Z', text: 'Incident opened by Datadog' },
    { at: '2025-03-30T00:41:00.000Z', text: 'Ada acknowledged\nthe incident' },
  ];

  it('has the handbook headings in order and one HH:MM line per timeline entry in the team zone', () => {
    // Europe/Berlin switched to summer time at 01:00 UTC that night: 01:30 CET, then 04:45 CEST.
    const md = buildPostmortemTemplate(incident, timeline, 'Europe/Berlin');
    const lines = md.split('\n');
    expect(lines[0]).toBe('# Incident: Checkout errors');
    const order = ['Date:', 'Duration:', 'Impact:', ...TEMPLATE_HEADINGS].map((h) =>
      lines.findIndex((l) => l.startsWith(h)),
    );
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(lines.find((l) => l.startsWith('Date:'))).toBe('Date: 2025-03-30 (Europe/Berlin)');
    expect(lines.find((l) => l.startsWith('Duration:'))).toMatch(/^Duration: 2 h 15 min \(triggered/);
    const start = lines.indexOf('## Timeline');
    const end = lines.indexOf('## Root Cause');
    expect(lines.slice(start, end).filter((l) => l.startsWith('- '))).toEqual([
      '- 01:30 — Incident opened by Datadog',
      '- 01:41 — Ada acknowledged the incident',
      '- 04:45 — Ada resolved the incident',
    ]);
  });

  it('formats durations', () => {
    expect(humanDuration(45 * 60_000)).toBe('45 min');
    expect(humanDuration(125 * 60_000)).toBe('2 h 5 min');
    expect(humanDuration(27 * 3600_000)).toBe('1 d 3 h');
  });
});

describe('action item parser', () => {
  it('reads items under Action Items only, with owner and due date when given', () => {
    const md = [
      '## Timeline',
      '- [ ] not an action item (@x, due 2025-01-01)',
      '## Action Items',
      '',
      '- [ ] Alert on queue depth above 10k (@ada, due 2025-05-01)',
      '- [x] Add a canary stage (due 2025-04-20, @bruno.silva)',
      '* [ ] Runbook for failover (see RFC-12)',
      '- [ ] Fix (@chen, due 2025-02-30)',
      'plain text line',
      '```',
      '- [ ] inside code (@dana, due 2025-01-01)',
      '```',
      '## Lessons Learned',
      '- [ ] also not (@x, due 2025-01-01)',
    ].join('\n');
    expect(parseActionItems(md)).toEqual([
      {
        line: 5,
        title: 'Alert on queue depth above 10k',
        checked: false,
        owner: 'ada',
        due_date: '2025-05-01',
        key: 'alert on queue depth above 10k',
      },
      {
        line: 6,
        title: 'Add a canary stage',
        checked: true,
        owner: 'bruno.silva',
        due_date: '2025-04-20',
        key: 'add a canary stage',
      },
      {
        line: 7,
        title: 'Runbook for failover (see RFC-12)',
        checked: false,
        owner: null,
        due_date: null,
        key: 'runbook for failover (see rfc-12)',
      },
      // An impossible date is no date.
      { line: 8, title: 'Fix', checked: false, owner: 'chen', due_date: null, key: 'fix' },
    ]);
  });
});

describe('live action item status', () => {
  it('checks the boxes of done items and unchecks reopened ones, leaving other lines alone', () => {
    const md = '## Action Items\n- [ ] A (@x, due 2025-01-01)\n- [x] B\n- [ ] C\n## Lessons Learned\n- [ ] A';
    const live = withLiveStatus(
      md,
      new Map([
        ['a', 'done'],
        ['b', 'in_progress'],
        ['c', 'wont_do'],
      ]),
    );
    expect(live).toBe(
      '## Action Items\n- [x] A (@x, due 2025-01-01)\n- [ ] B\n- [x] C\n## Lessons Learned\n- [ ] A',
    );
  });
});

describe('blameless lint', () => {
  const names = ['Ada Okafor', 'Ada', 'Bruno'];
  const wrap = (section: string, sentence: string) => `# Incident: x\n\n## ${section}\n\n${sentence}\n`;
  const cases: Array<[string, string, string[]]> = [
    // [section, sentence, expected rules]
    ['Root Cause', "It was Bruno's fault.", ['fault']],
    ['Root Cause', 'The outage was caused by human error.', ['human-error']],
    ['Contributing Factors', 'A careless config change went out.', ['careless']],
    ['Lessons Learned', 'The team should have known the limit.', ['should-have-known']],
    ['Root Cause', '@bruno failed to run the migration check.', ['failed-to']],
    ['Root Cause', 'The on-call engineer failed to page the database team.', ['failed-to']],
    ['Root Cause', 'Applying the change without review was negligent.', ['negligent']],
    ['Lessons Learned', 'That was a stupid mistake.', ['stupid']],
    ['Root Cause', 'Ada forgot to update the certificate.', ['person-as-subject']],
    ['Root Cause', 'Ada Okafor deployed a broken build.', ['person-as-subject']],
    ['Contributing Factors', 'Kim accidentally deleted the index.', ['person-as-subject']],
    ['Contributing Factors', '- He ignored the warning in the dashboard.', ['person-as-subject']],
    // Blameless sentences: nothing to flag.
    ['Root Cause', 'The deploy pipeline allowed an unreviewed config change to reach production.', []],
    ['Root Cause', 'The health check failed to detect the stuck workers.', []],
    ['Root Cause', 'Redis failed to fail over because the sentinel quorum was misconfigured.', []],
    ['Contributing Factors', 'The migration caused a full table lock.', []],
    ['Contributing Factors', 'The runbook missed the step for the replica.', []],
    ['Contributing Factors', 'No alert existed for certificate expiry.', []],
    ['Timeline', '- 10:02 — Ada acknowledged the incident', []],
    ['Timeline', '- 10:05 — Bruno deployed the rollback', []],
    ['Lessons Learned', 'We found the fault quickly thanks to tracing.', []],
    ['Lessons Learned', 'Errors from humans are expected; the tooling must catch them.', []],
    ['Root Cause', '```\nAda forgot\n```', []],
  ];

  it.each(cases)('%s: %s', (section, sentence, rules) => {
    const findings = lintBlameless(wrap(section, sentence), { names });
    expect(findings.map((f) => f.rule)).toEqual(rules);
    for (const f of findings) {
      expect(f.line).toBe(5);
      expect(f.column).toBeGreaterThan(0);
      expect(sentence.slice(f.column - 1)).toContain(f.text.split(' ')[0]!);
      expect(f.suggestion.length).toBeGreaterThan(10);
    }
  });

  it('points at the phrase with 1-based line and column', () => {
    const [f] = lintBlameless('## Root Cause\nBlame: human error here.');
    expect(f).toMatchObject({ line: 2, column: 8, text: 'human error', rule: 'human-error' });
  });

  it('takes extra phrases and disabled rules from the policy, and drops dismissed findings', () => {
    const md = '## Root Cause\nThe operator was sloppy. It was human error.';
    expect(lintBlameless(md, { extraPhrases: ['sloppy'] }).map((f) => f.rule)).toEqual([
      'custom-phrase',
      'human-error',
    ]);
    expect(lintBlameless(md, { extraPhrases: ['sloppy'], disabledRules: ['human-error'] })).toHaveLength(1);
    expect(
      lintBlameless(md, {
        extraPhrases: ['sloppy'],
        dismissed: [{ rule: 'custom-phrase', text: 'Sloppy' }],
      }).map((f) => f.rule),
    ).toEqual(['human-error']);
  });
});

describe('markdown rendering', () => {
  const payloads: Array<[string, RegExp]> = [
    ['<script>alert(1)</script>', /<script|alert\(1\)/i],
    ['[click](javascript:alert(1))', /javascript:/i],
    ['[click](JaVaScRiPt:alert(1))', /javascript:/i],
    ['[x](&#106;avascript:alert(1))', /javascript|&#106;avascript/i],
    ['<a href="javascript:alert(1)">x</a>', /javascript:/i],
    ['<img src=x onerror=alert(1)>', /onerror/i],
    ['<p onclick="alert(1)">hi</p>', /onclick/i],
    ['<iframe src="https://example.test"></iframe>', /<iframe/i],
    ['[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)', /data:/i],
    ['![i](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)', /data:/i],
    ['<svg><script>alert(1)</script></svg>', /<svg|<script/i],
    ['<style>body{display:none}</style>', /<style/i],
    ['<form action="https://evil.test"><button>go</button></form>', /<form|<button/i],
    ['<object data="x.swf"></object><embed src="x.swf">', /<object|<embed/i],
    ['<a href="//evil.test/x">x</a>', /href="\/\/evil/i],
    ['<div style="background:url(javascript:alert(1))">x</div>', /style=|javascript/i],
    ['<input type="text" autofocus onfocus="alert(1)">', /onfocus|type="text"/i],
  ];
  it.each(payloads)('renders %s inert', (payload, forbidden) => {
    const html = renderMarkdown(`Before\n\n${payload}\n\nAfter`);
    expect(html).not.toMatch(forbidden);
    expect(html).toContain('After');
  });

  it('keeps ordinary Markdown: headings, lists, links, task lists, code', () => {
    const html = renderMarkdown(
      '# T\n\n- [x] done\n- [ ] open\n\n[docs](https://docs.example.test/a?b=1) and `code`\n\n```js\nlet a = 1 < 2;\n```',
    );
    expect(html).toContain('<h1>T</h1>');
    expect(html).toMatch(/<input[^>]*checked[^>]*>/);
    expect(html).toContain('href="https://docs.example.test/a?b=1"');
    expect(html).toContain('rel="noopener noreferrer nofollow"');
    expect(html).toContain('<code class="language-js">let a = 1 &lt; 2;');
  });

  it('builds a standalone page with an escaped title and a strict CSP', () => {
    const page = renderStandalonePage('<b>x</b>', '<script>x()</script>ok');
    expect(page).toContain('<title>&#60;b&#62;x&#60;/b&#62;</title>');
    expect(page).toContain("default-src 'none'");
    expect(page).not.toContain('<script');
  });
});

describe('full-text query (web-search syntax to FTS5)', () => {
  it.each([
    ['connection pool', '"connection" AND "pool"'],
    ['"connection pool" exhausted', '"connection pool" AND "exhausted"'],
    ['dns or resolver cache', '("dns" OR "resolver") AND "cache"'],
    ['pool -dns -"load balancer"', '("pool") NOT "dns" NOT "load balancer"'],
    ['100% of keys', '"100" AND "of" AND "keys"'],
    // FTS5 syntax in the query stays text; a word with punctuation inside is a phrase of its parts.
    ['AND NEAR(x) "unterminated', '"AND" AND "NEAR x" AND "unterminated"'],
    ['fail-over we"ird', '"fail over" AND "we ird"'],
    ['or pool', '"pool"'],
  ])('%s -> %s', (query, expected) => {
    expect(toFts5Query(query)).toBe(expected);
  });

  it('finds nothing for a query without a positive word', () => {
    for (const q of ['%%%', '-pool', '-"a b" -c', 'or', '']) {
      expect(toFts5Query(q), q).toBeNull();
      expect(hasPositiveTerm(q), q).toBe(false);
    }
    expect(hasPositiveTerm('pool -dns')).toBe(true);
  });

  it('turns marked snippets into plain text with highlight ranges', () => {
    const marked = `The ${MARK_START}connection${MARK_END}\n\n  ${MARK_START}pool${MARK_END} ran out…`;
    const { snippet, highlights } = splitHighlights(marked);
    expect(snippet).toBe('The connection pool ran out…');
    expect(highlights).toEqual([
      [4, 14],
      [15, 19],
    ]);
    expect(highlights.map(([a, b]) => snippet.slice(a, b))).toEqual(['connection', 'pool']);
    expect(splitHighlights('plain')).toEqual({ snippet: 'plain', highlights: [] });
  });
});
