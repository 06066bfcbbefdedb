/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4),
 * for tests that assert what /metrics says: families with their HELP and
 * TYPE, samples with unescaped label values and the value as written. It
 * throws on anything it does not understand, so a malformed line fails the
 * test that reads it instead of being skipped.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** The value exactly as written (to check the spelling of NaN and +Inf). */
  text: string;
}

export interface Family {
  name: string;
  help: string | undefined;
  type: string | undefined;
  samples: Sample[];
}

const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,?)/;

function unescapeLabel(v: string): string {
  return v.replace(/\\([\\"n])/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

function parseValue(text: string, line: string): number {
  if (text === 'NaN' || text === 'Nan' || text === 'nan') return NaN;
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (!/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(text)) throw new Error(`bad sample value in ${JSON.stringify(line)}`);
  return Number(text);
}

/** Families by name, in the order their HELP (or first sample) appeared. */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (f === undefined) {
      f = { name, help: undefined, type: undefined, samples: [] };
      families.set(name, f);
    }
    return f;
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (m) {
      const f = family(m[2] as string);
      if (m[1] === 'HELP') {
        if (f.help !== undefined) throw new Error(`second HELP for ${f.name}`);
        f.help = m[3] as string;
      } else {
        if (f.type !== undefined) throw new Error(`second TYPE for ${f.name}`);
        f.type = m[3] as string;
      }
      continue;
    }
    if (line.startsWith('#')) continue;
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    let rest = (m[2] ?? '{}').slice(1, -1);
    while (rest !== '') {
      const l = LABEL.exec(rest);
      if (!l) throw new Error(`bad labels in ${JSON.stringify(line)}`);
      const name = l[1] as string;
      if (name in labels) throw new Error(`label ${name} twice in ${JSON.stringify(line)}`);
      labels[name] = unescapeLabel(l[2] as string);
      rest = rest.slice(l[0].length);
      if (l[3] === '' && rest !== '') throw new Error(`bad labels in ${JSON.stringify(line)}`);
    }
    const text = m[3] as string;
    family(m[1] as string).samples.push({ name: m[1] as string, labels, value: parseValue(text, line), text });
  }
  return families;
}

/** The samples of `name` whose labels include `labels`. */
export function samplesOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): Sample[] {
  return (families.get(name)?.samples ?? []).filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The one sample of `name` with these labels (throws unless exactly one). */
export function sampleOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): Sample {
  const found = samplesOf(families, name, labels);
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name}${JSON.stringify(labels)}, expected 1`);
  return found[0] as Sample;
}
