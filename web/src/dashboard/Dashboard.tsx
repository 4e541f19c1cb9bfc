// The dashboard: first response and resolution (median, p90, business-hours
// variants), CSAT, utilization per agent, volume by hour (bars) and weekday ×
// hour (heat map), for a date range. Admins see the desk or any agent;
// agents see themselves. Loaded on demand: its chart code is not part of the
// console's first load.
import { BarElement, CategoryScale, Chart as ChartJS, LinearScale, Tooltip } from 'chart.js';
import { useMemo, useState } from 'react';
import { Bar } from 'react-chartjs-2';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import type { SupportMetricsQuery } from '../gql/graphql';

type DurationStats = SupportMetricsQuery['metrics']['firstResponseTime'];
import { ErrorMessage } from '../shell/ErrorMessage';
import { useRefetchOnReconnect } from '../live';
import { Table } from '../shell/Table';
import { useViewer } from '../shell/viewer';

ChartJS.register(BarElement, CategoryScale, LinearScale, Tooltip);

const Metrics = graphql(`
  query SupportMetrics($from: DateTime!, $to: DateTime!, $agentId: ID) {
    metrics(from: $from, to: $to, agentId: $agentId) {
      conversationsOpened
      conversationsResolved
      conversationsReopened
      firstResponseTime {
        count
        median
        p90
      }
      firstResponseTimeBusinessHours {
        count
        median
        p90
      }
      resolutionTime {
        count
        median
        p90
      }
      resolutionTimeBusinessHours {
        count
        median
        p90
      }
      csat {
        responses
        average
        satisfiedPercent
        distribution
      }
      agentUtilization {
        agentId
        agent {
          name
        }
        occupancy
        averageLoad
        conversationsHandled
        onlineSeconds
      }
      volumeByHour {
        hour
        conversations
        messages
      }
      volumeByWeekdayHour {
        weekday
        hour
        conversations
        messages
      }
    }
    agents {
      id
      name
    }
  }
`);

type Range = 'today' | '7d' | '30d' | 'custom';
const DAY = 86_400_000;
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function startOfToday(): Date {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d;
}

function isoDay(date: Date): string {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}

function seconds(value: number): string {
  if (value < 60) return `${Math.round(value)} s`;
  if (value < 3600) return `${Math.round(value / 60)} m`;
  if (value < 86_400) return `${(value / 3600).toFixed(1)} h`;
  return `${(value / 86_400).toFixed(1)} d`;
}

function DurationTile({ title, all, business }: { title: string; all: DurationStats; business: DurationStats }) {
  return (
    <section className="tile" aria-label={title}>
      <h3>{title}</h3>
      {all.count === 0 ? (
        <p className="muted">No data in this range.</p>
      ) : (
        <dl>
          <dt>Median</dt>
          <dd>{seconds(all.median)}</dd>
          <dt>p90</dt>
          <dd>{seconds(all.p90)}</dd>
          <dt>Business hours (median / p90)</dt>
          <dd>
            {seconds(business.median)} / {seconds(business.p90)}
          </dd>
          <dt>Conversations</dt>
          <dd>{all.count}</dd>
        </dl>
      )}
    </section>
  );
}

function HeatMap({ cells }: { cells: SupportMetricsQuery['metrics']['volumeByWeekdayHour'] }) {
  const max = Math.max(1, ...cells.map((c) => c.messages));
  const at = new Map(cells.map((c) => [`${c.weekday}:${c.hour}`, c]));
  return (
    <table className="heat-map" aria-label="Messages by weekday and hour">
      <thead>
        <tr>
          <th scope="col" />
          {Array.from({ length: 24 }, (_, h) => (
            <th key={h} scope="col">
              {h % 3 === 0 ? h : ''}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {WEEKDAYS.map((day, weekday) => (
          <tr key={day}>
            <th scope="row">{day}</th>
            {Array.from({ length: 24 }, (_, hour) => {
              const cell = at.get(`${weekday}:${hour}`);
              const messages = cell?.messages ?? 0;
              return (
                <td key={hour} title={`${day} ${hour}:00 — ${messages} messages, ${cell?.conversations ?? 0} conversations`} style={{ opacity: messages ? 0.15 + (0.85 * messages) / max : 0.05 }}>
                  <span className="visually-hidden">{messages}</span>
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export default function Dashboard() {
  const viewer = useViewer();
  const isAdmin = viewer.role === 'ADMIN';
  const [range, setRange] = useState<Range>('7d');
  const [customFrom, setCustomFrom] = useState(isoDay(new Date(Date.now() - 14 * DAY)));
  const [customTo, setCustomTo] = useState(isoDay(new Date()));
  const [agentId, setAgentId] = useState<string>(isAdmin ? '' : viewer.id);

  const { from, to } = useMemo(() => {
    const today = startOfToday();
    const end = new Date(today.getTime() + DAY);
    if (range === 'today') return { from: today.toISOString(), to: end.toISOString() };
    if (range === '7d') return { from: new Date(end.getTime() - 7 * DAY).toISOString(), to: end.toISOString() };
    if (range === '30d') return { from: new Date(end.getTime() - 30 * DAY).toISOString(), to: end.toISOString() };
    return { from: new Date(`${customFrom}T00:00:00`).toISOString(), to: new Date(new Date(`${customTo}T00:00:00`).getTime() + DAY).toISOString() };
  }, [range, customFrom, customTo]);

  const [{ data, error, fetching }, refetch] = useQuery({ query: Metrics, variables: { from, to, agentId: agentId || null }, requestPolicy: 'cache-and-network' });
  useRefetchOnReconnect(refetch);
  const m = data?.metrics;
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  return (
    <main className="dashboard">
      <header className="dashboard-header">
        <h2>Dashboard</h2>
        <label>
          Range
          <select value={range} onChange={(e) => setRange(e.target.value as Range)}>
            <option value="today">Today</option>
            <option value="7d">7 days</option>
            <option value="30d">30 days</option>
            <option value="custom">Custom</option>
          </select>
        </label>
        {range === 'custom' && (
          <>
            <label>
              From
              <input type="date" value={customFrom} onChange={(e) => setCustomFrom(e.target.value)} />
            </label>
            <label>
              To
              <input type="date" value={customTo} onChange={(e) => setCustomTo(e.target.value)} />
            </label>
          </>
        )}
        {isAdmin && (
          <label>
            Agent
            <select value={agentId} onChange={(e) => setAgentId(e.target.value)}>
              <option value="">Whole desk</option>
              {(data?.agents ?? []).map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
          </label>
        )}
        {fetching && <span className="muted">Updating…</span>}
      </header>
      <p className="muted">Range in your time zone ({zone}); hours and weekdays below are in the desk's business time zone.</p>
      <ErrorMessage error={error} />
      {m && (
        <>
          <div className="tiles">
            <section className="tile" aria-label="Volume">
              <h3>Conversations</h3>
              <dl>
                <dt>Opened</dt>
                <dd>{m.conversationsOpened}</dd>
                <dt>Resolved</dt>
                <dd>{m.conversationsResolved}</dd>
                <dt>Reopened</dt>
                <dd>{m.conversationsReopened}</dd>
              </dl>
            </section>
            <DurationTile title="First response" all={m.firstResponseTime} business={m.firstResponseTimeBusinessHours} />
            <DurationTile title="Resolution" all={m.resolutionTime} business={m.resolutionTimeBusinessHours} />
            <section className="tile" aria-label="CSAT">
              <h3>CSAT</h3>
              {m.csat.responses === 0 ? (
                <p className="muted">No ratings in this range.</p>
              ) : (
                <dl>
                  <dt>Average</dt>
                  <dd>{m.csat.average.toFixed(2)} / 5</dd>
                  <dt>Satisfied (4–5)</dt>
                  <dd>{Math.round(m.csat.satisfiedPercent)} %</dd>
                  <dt>Ratings</dt>
                  <dd>{m.csat.responses}</dd>
                </dl>
              )}
            </section>
          </div>
          {m.csat.responses > 0 && (
            <section className="chart chart-small" aria-label="Ratings">
              <h3>CSAT distribution</h3>
              <Bar
                role="img"
                aria-label={`Ratings: ${m.csat.distribution.map((n, i) => `${n} × ${i + 1}`).join(', ')}`}
                data={{
                  labels: ['1', '2', '3', '4', '5'],
                  datasets: [{ label: 'Ratings', data: m.csat.distribution, backgroundColor: ['#c62828', '#ef6c00', '#f9a825', '#7cb342', '#2e7d32'] }],
                }}
                options={{ responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }}
              />
            </section>
          )}
          <section className="chart" aria-label="Volume by hour">
            <h3>Volume by hour</h3>
            <Bar
              role="img"
              aria-label="Bar chart of conversations and messages by hour of day"
              data={{
                labels: m.volumeByHour.map((v) => String(v.hour)),
                datasets: [
                  { label: 'Conversations', data: m.volumeByHour.map((v) => v.conversations), backgroundColor: '#128c7e' },
                  { label: 'Messages', data: m.volumeByHour.map((v) => v.messages), backgroundColor: '#a7d7c5' },
                ],
              }}
              options={{ responsive: true, maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }}
            />
          </section>
          <section className="chart" aria-label="Weekday by hour">
            <h3>Weekday × hour</h3>
            <HeatMap cells={m.volumeByWeekdayHour} />
          </section>
          <section aria-label="Utilization">
            <h3>Utilization</h3>
            <Table columns={['Agent', 'Occupancy', 'Average load', 'Handled', 'Online']}>
              {m.agentUtilization.map((u) => (
                <tr key={u.agentId}>
                  <td>{u.agent?.name ?? u.agentId}</td>
                  <td>{Math.round(u.occupancy * 100)} %</td>
                  <td>{Math.round(u.averageLoad * 100)} %</td>
                  <td>{u.conversationsHandled}</td>
                  <td>{seconds(u.onlineSeconds)}</td>
                </tr>
              ))}
            </Table>
          </section>
        </>
      )}
    </main>
  );
}
