/**
 * Fuzzing ACL rules (src/acl/): random rule lists — valid rules, their mutations and random
 * bytes — applied to a user. A rule may only be applied or refused with Redis's error (never
 * throw otherwise), and a user's description (what ACL LIST and ACL SAVE write) must rebuild a
 * user with the same description and the same answer to every command checked, so a saved ACL
 * file always loads back to the same permissions.
 */
import { CommandTable } from '../../src/commands/table.js';
import { allCommands } from '../../src/commands/index.js';
import type { CommandSpec } from '../../src/commands/types.js';
import { Acl } from '../../src/acl/acl.js';
import { AclRuleError } from '../../src/acl/selector.js';
import { mergeSelectorArgs, type User } from '../../src/acl/user.js';
import { Rand, count, fail, newReport, type FuzzReport } from './common.js';

const RULES = [
  'on', 'off', 'nopass', 'resetpass', 'reset', '>pw', '>other', '<pw', 'allkeys', 'resetkeys', 'allchannels', 'resetchannels', 'allcommands', 'nocommands',
  '+@all', '-@all', '+@read', '-@read', '+@write', '-@write', '+@vectorset', '-@vectorset', '+@hash', '-@dangerous', '+@admin', '-@keyspace', '+@pubsub',
  '+get', '-get', '+set', '+VSIM', '-vadd', '+config|get', '-config|set', '+client', '-client|kill', '+select|0', '+acl|whoami',
  '~tenant:1:*', '~tenant:2:*', '%R~r*', '%W~w*', '%RW~rw*', '~*', '%R~', '&ch*', '&*', '&news',
  'clearselectors', '(~x +get)', '(%R~r* +@read)', '(~* -@all +vsim)', '(&c* +publish)', 'sanitize-payload', 'skip-sanitize-payload',
  `#${'a'.repeat(64)}`, `!${'a'.repeat(64)}`,
];
const RULE_BYTES = Buffer.from('+-~%&@|()<>#!*RWrw abcdefgijklmnoprstuvwxyzACEGILMSV0123456789:');
const KEYS = ['tenant:1:a', 'tenant:2:b', 'r1', 'w1', 'rw1', 'x', 'zz', ''];
const CHANNELS = ['ch1', 'chat', 'news', 'zz'];

/** A command to ask about, with random keys and channels in its key and channel positions. */
function question(r: Rand, specs: readonly CommandSpec[]): { spec: CommandSpec; argv: Buffer[] } {
  const spec = r.pick(specs);
  const words = spec.parent ? [spec.parent, spec.name] : [spec.name];
  const argc = spec.arity > 0 ? spec.arity : -spec.arity + r.int(3);
  const argv = words.map((w) => Buffer.from(w));
  while (argv.length < argc) argv.push(Buffer.from(r.chance(0.5) ? r.pick(KEYS) : r.pick(CHANNELS)));
  return { spec, argv };
}

function ruleList(r: Rand): Buffer[] {
  const n = r.int(8);
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const k = r.next();
    if (k < 0.75) out.push(Buffer.from(r.pick(RULES)));
    else if (k < 0.9) out.push(r.mutate(Buffer.from(r.pick(RULES)), RULE_BYTES));
    else out.push(r.bytes(r.int(12), r.chance(0.7) ? RULE_BYTES : undefined));
  }
  return out;
}

/** Rebuilds a user from its description, as an ACL file line is read back. */
function fromDescription(acl: Acl, name: string, description: string): User {
  const u = acl.newUser(name);
  const words = description.split(' ').map((w) => Buffer.from(w, 'latin1'));
  const merged = mergeSelectorArgs(words);
  if (!Array.isArray(merged)) throw new Error(`description has an unmatched parenthesis: ${description}`);
  for (const op of merged) u.apply(op);
  return u;
}

export function fuzzAcl(seed: number, cases: number): FuzzReport {
  const report = newReport('ACL rules');
  const r = new Rand(seed);
  const table = new CommandTable();
  table.register(allCommands());
  const config = { get: (n: string): string => (n === 'acl-pubsub-default' ? 'resetchannels' : ''), int: (): number => 128 };
  const acl = new Acl(table, { clients: new Map(), killClient: () => {}, config });
  const specs = acl.commands.byId.filter((s) => !s.subcommands);
  for (let i = 0; i < cases; i++) {
    report.cases++;
    const rules = ruleList(r);
    const u = acl.newUser('fuzz');
    try {
      for (const op of rules) {
        try {
          u.apply(op);
          count(report, 'rules applied');
        } catch (e) {
          if (!(e instanceof AclRuleError)) throw e;
          count(report, 'rules refused');
        }
      }
      const description = u.describe();
      const again = fromDescription(acl, 'fuzz', description);
      if (again.describe() !== description) {
        fail(report, `case ${i}: ${rules.map((b) => b.toString('latin1')).join(' ')} describes as "${description}", which reloads as "${again.describe()}"`);
        continue;
      }
      for (let q = 0; q < 8; q++) {
        const { spec, argv } = question(r, specs);
        const a = acl.checkUser(u, spec, argv);
        const b = acl.checkUser(again, spec, argv);
        count(report, a.ok ? 'checks allowed' : 'checks refused');
        if (JSON.stringify(a) !== JSON.stringify(b)) {
          fail(report, `case ${i}: rules ${JSON.stringify(rules.map((x) => x.toString('latin1')))}: "${argv.join(' ')}" for "${description}": ${JSON.stringify(a)} before reload, ${JSON.stringify(b)} after`);
        }
      }
    } catch (e) {
      fail(report, `case ${i}: ${rules.map((b) => b.toString('latin1')).join(' ')} threw ${e instanceof Error ? e.stack : String(e)}`);
    }
  }
  return report;
}
