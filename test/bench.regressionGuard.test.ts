// The benches' regression guard (bench/support/recorded.ts): a figure more
// than twice as bad as the one recorded fails the bench run, in either
// direction of "better"; --record writes the new figures with their commit.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { guardAgainstRegressions } from '../bench/support/recorded.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

function recordedFile(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'desk-recorded-'));
  dirs.push(dir);
  const file = join(dir, 'recorded.json');
  writeFileSync(file, JSON.stringify(content));
  return file;
}

const RECORDED = {
  ingest: {
    'share of the ceiling': { value: 30, better: 'higher', unit: '%', commit: 'abc1234', date: '2026-12-02 07:00 UTC' },
    'ack p99': { value: 40, better: 'lower', unit: 'ms', commit: 'abc1234', date: '2026-12-02 07:00 UTC' },
  },
};

describe('the benches’ regression guard', () => {
  it('passes figures within 2× of the recorded ones, better or worse, and ignores figures it has nothing for', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const regressions = guardAgainstRegressions(
      'ingest',
      { 'share of the ceiling': { value: 16, better: 'higher', unit: '%' }, 'ack p99': { value: 20, better: 'lower', unit: 'ms' }, 'new figure': { value: 1, better: 'lower', unit: '' } },
      { file: recordedFile(RECORDED) },
    );
    expect(regressions).toEqual([]);
    expect(process.exitCode).toBeUndefined();
    expect(log.mock.calls.flat().join('\n')).toMatch(/ack p99: 20 ms, recorded 40 ms \(abc1234, 2026-12-02 07:00 UTC\): 2\.00× better/);
  });

  it('fails the run loudly for a figure more than 2× worse, lower-is-better and higher-is-better alike', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const regressions = guardAgainstRegressions(
      'ingest',
      { 'share of the ceiling': { value: 14, better: 'higher', unit: '%' }, 'ack p99': { value: 81, better: 'lower', unit: 'ms' } },
      { file: recordedFile(RECORDED) },
    );
    expect(regressions).toEqual(['share of the ceiling', 'ack p99']);
    expect(process.exitCode).toBe(1);
    expect(log.mock.calls.flat().filter((line) => String(line).startsWith('!!! REGRESSION'))).toHaveLength(2);
  });

  it('--record writes the results as the new figures, with the commit and date', () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const file = recordedFile(RECORDED);
    guardAgainstRegressions('other', { 'rss': { value: 1200, better: 'lower', unit: 'MiB' } }, { file, record: true });
    const written = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, { value: number; commit: string; date: string }>>;
    expect(written.ingest).toEqual(RECORDED.ingest);
    expect(written.other!.rss).toMatchObject({ value: 1200, better: 'lower', unit: 'MiB' });
    expect(written.other!.rss!.commit).toMatch(/^[0-9a-f]{7,}$/);
    expect(written.other!.rss!.date).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
  });
});
