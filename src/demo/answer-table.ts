/**
 * What the demo's walk shows after each step, pure: the answers the real
 * executables printed for one node (SNMP `100`/`200`, the HTTP status line
 * and body, the HAProxy agent line), read back into a verdict and a reason,
 * laid out as the step's table, and compared with what the step expects.
 *
 * Nothing here trusts one executable for the others: each answer is read on
 * its own, and a node whose three answers disagree (they are three separate
 * probes, so they can) is shown as such, never smoothed over.
 */
import { REASONS, type Reason, type Verdict } from '../core/decide';
import type { DemoNode } from './demo-node';

/** What one executable printed, or why it printed nothing usable. */
export interface ExecutableOutput {
  stdout: string;
  /** Set when the run itself failed: killed at its bound, a non-zero status, not started. */
  failure?: string;
}

export interface RawAnswers {
  snmp: ExecutableOutput;
  http: ExecutableOutput;
  agent: ExecutableOutput;
}

/** One executable's answer as the load balancer would read it. */
export interface Answer {
  /** The cell shown: `100`, `503`, `down ready #catching-up`, or `?` when unreadable. */
  shown: string;
  verdict: Verdict | undefined;
  reason: Reason | undefined;
}

export interface NodeAnswers {
  node: DemoNode;
  snmp: Answer;
  http: Answer;
  agent: Answer;
}

const UNREADABLE: Answer = { shown: '?', verdict: undefined, reason: undefined };

function asReason(text: string | undefined): Reason | undefined {
  return (REASONS as readonly string[]).includes(text ?? '') ? (text as Reason) : undefined;
}

/** `100` is UP, `200` is DOWN (the original extend script's values). */
export function readSnmp(out: ExecutableOutput): Answer {
  const text = out.stdout.trim();
  if (out.failure !== undefined || (text !== '100' && text !== '200')) return UNREADABLE;
  return { shown: text, verdict: text === '100' ? 'UP' : 'DOWN', reason: undefined };
}

/** `HTTP/1.1 200 OK` or `503 ...`, the body `UP fresh` / `DOWN catching-up`. */
export function readHttp(out: ExecutableOutput): Answer {
  if (out.failure !== undefined) return UNREADABLE;
  const status = /^HTTP\/1\.[01] (\d{3}) /.exec(out.stdout)?.[1];
  const body = out.stdout.split('\r\n\r\n')[1]?.trim() ?? '';
  const [verdictWord, reasonWord] = body.split(' ');
  if (status !== '200' && status !== '503') return UNREADABLE;
  const verdict: Verdict = status === '200' ? 'UP' : 'DOWN';
  return { shown: status, verdict, reason: verdictWord === verdict ? asReason(reasonWord) : undefined };
}

/** `up ready`, `down ready #REASON`, `maint #maintenance` or `drain #maintenance`. */
export function readAgent(out: ExecutableOutput): Answer {
  const line = out.stdout.trim();
  if (out.failure !== undefined || line === '' || line.includes('\n')) return UNREADABLE;
  const [words = '', comment] = line.split('#');
  const first = words.trim().split(/\s+/)[0];
  const verdict: Verdict | undefined =
    first === 'up' ? 'UP' : first === 'down' || first === 'maint' || first === 'drain' ? 'DOWN' : undefined;
  if (verdict === undefined) return UNREADABLE;
  return { shown: line, verdict, reason: asReason(comment?.trim()) };
}

export function readAnswers(node: DemoNode, raw: RawAnswers): NodeAnswers {
  return { node, snmp: readSnmp(raw.snmp), http: readHttp(raw.http), agent: readAgent(raw.agent) };
}

/** The node's verdict when all three executables gave the same one, else undefined. */
export function agreedVerdict(a: NodeAnswers): Verdict | undefined {
  const v = a.snmp.verdict;
  return v !== undefined && a.http.verdict === v && a.agent.verdict === v ? v : undefined;
}

/**
 * The reason shown for the node: the HTTP body's (SNMP carries none, and the
 * agent names one only when DOWN); both when the agent's differs.
 */
export function shownReason(a: NodeAnswers): string {
  const http = a.http.reason;
  const agent = a.agent.reason;
  if (http === undefined) return agent ?? '?';
  return agent === undefined || agent === http ? http : `${http}/${agent}`;
}

const HEADER = ['node', 'SNMP', 'HTTP', 'reason', 'agent'] as const;
const INDENT = '    ';

/**
 * The table, one row per node, columns separated by at least two spaces; the
 * agent's line comes last because it has spaces of its own.
 */
export function formatAnswerTable(rows: readonly NodeAnswers[]): string {
  const cells = [[...HEADER], ...rows.map((r) => [r.node, r.snmp.shown, r.http.shown, shownReason(r), r.agent.shown])];
  const widths = HEADER.map((_, i) => Math.max(...cells.map((c) => (c[i] ?? '').length)));
  return cells
    .map(
      (c) =>
        INDENT +
        c
          .map((cell, i) => (i === c.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
          .join('  ')
          .trimEnd() +
        '\n',
    )
    .join('');
}

/** What a step expects of one node: the verdict, and the reasons that fit the story. */
export interface Expectation {
  verdict: Verdict;
  reasons: readonly Reason[];
}

/**
 * Every way the answers differ from what the step expects, in words; empty
 * when the step went as told. Each executable's verdict is checked, and the
 * reason wherever one was given.
 */
export function mismatches(rows: readonly NodeAnswers[], expected: Readonly<Partial<Record<DemoNode, Expectation>>>): string[] {
  const out: string[] = [];
  for (const r of rows) {
    const want = expected[r.node];
    if (want === undefined) continue;
    for (const [name, answer] of [
      ['SNMP', r.snmp],
      ['HTTP', r.http],
      ['agent', r.agent],
    ] as const) {
      const wrongVerdict = answer.verdict !== want.verdict;
      const wrongReason = answer.reason !== undefined && !want.reasons.includes(answer.reason);
      if (wrongVerdict || wrongReason) {
        out.push(`node ${r.node} ${name} answered ${answer.shown}, expected ${want.verdict} (${want.reasons.join(' or ')})`);
      }
    }
  }
  return out;
}
