// The regression guard: bench/recorded.json holds, per bench, the figures
// bench/README.md quotes (with the commit and date they were taken on). A
// bench hands its results here; each is compared with its recorded figure and
// a result more than twice as bad is reported with `!!!` and fails the run
// (exit code 1). `--record` writes the results as the new recorded figures.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FILE = fileURLToPath(new URL('../recorded.json', import.meta.url));
/** How much worse than recorded a figure may be before the bench says so loudly. */
export const REGRESSION_FACTOR = 2;

export interface Figure {
  value: number;
  /** Which way is better. */
  better: 'lower' | 'higher';
  unit: string;
}

interface Recorded extends Figure {
  commit: string;
  date: string;
}

type RecordedFile = Record<string, Record<string, Recorded>>;

function readRecorded(file: string): RecordedFile {
  return JSON.parse(readFileSync(file, 'utf8')) as RecordedFile;
}

/** How many times worse `now` is than `then` (below 1: better). */
export function timesWorse(figure: Figure, then: number): number {
  return figure.better === 'lower' ? figure.value / then : then / figure.value;
}

/** Compares with the recorded figures (and records these instead when `record` is set); returns the names of the regressions. */
export function guardAgainstRegressions(bench: string, figures: Record<string, Figure>, options: { record?: boolean; file?: string } = {}): string[] {
  const path = options.file ?? FILE;
  const file = readRecorded(path);
  const recorded = file[bench] ?? {};
  const regressions: string[] = [];
  console.log(`\nregression guard (bench/recorded.json, "${bench}"; more than ${REGRESSION_FACTOR}× worse fails):`);
  for (const [name, figure] of Object.entries(figures)) {
    const then = recorded[name];
    if (!then) {
      console.log(`  ${name}: ${format(figure.value, figure.unit)} (nothing recorded)`);
      continue;
    }
    const worse = timesWorse(figure, then.value);
    const line = `  ${name}: ${format(figure.value, figure.unit)}, recorded ${format(then.value, then.unit)} (${then.commit}, ${then.date}): ${worse >= 1 ? `${worse.toFixed(2)}× worse` : `${(1 / worse).toFixed(2)}× better`}`;
    if (worse > REGRESSION_FACTOR) {
      regressions.push(name);
      console.log(`!!! REGRESSION ${line.trim()}`);
    } else console.log(line);
  }
  if (regressions.length > 0) {
    console.error(`\n!!! ${regressions.length} figure(s) more than ${REGRESSION_FACTOR}× worse than recorded: ${regressions.join(', ')}`);
    process.exitCode = 1;
  }
  if (options.record) {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const date = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
    file[bench] = Object.fromEntries(Object.entries(figures).map(([name, figure]) => [name, { ...figure, commit, date }]));
    writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
    console.log(`recorded as the new figures for "${bench}" (commit ${commit})`);
  }
  return regressions;
}

function format(value: number, unit: string): string {
  return `${value.toLocaleString('en', { maximumFractionDigits: value < 10 ? 2 : 0 })}${unit ? ` ${unit}` : ''}`;
}
