/**
 * Users from files: the `aclfile` (ACL LOAD, ACL SAVE, and at start-up) and `user` lines of the
 * config file, as Redis's ACLLoadFromFile, ACLSaveToFile and ACLLoadUsersAtStartup treat them.
 *
 * An ACL file is all or nothing: every line is checked against a fresh set of users, and any
 * error leaves the running users untouched. ACL SAVE writes a temporary file, fsyncs it and
 * renames it over the old one, so the file on disk is always a complete one.
 */
import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import type { Client } from '../server/client.js';
import type { Acl } from './acl.js';
import { AclRuleError, hasSpaces } from './selector.js';
import { mergeSelectorArgs, User } from './user.js';
import { AclCommands } from './commands.js';

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

/** C's strerror text for a failed system call ("No such file or directory"). */
export function strerror(e: unknown): string {
  const errno = (e as NodeJS.ErrnoException).errno;
  const entry = typeof errno === 'number' ? util.getSystemErrorMap().get(errno) : undefined;
  if (!entry) return (e as Error).message;
  return entry[1].charAt(0).toUpperCase() + entry[1].slice(1);
}

/** Trims the characters Redis's sdstrim is given. */
function trim(b: Buffer, chars: string): Buffer {
  let s = 0;
  let e = b.length;
  while (s < e && chars.includes(String.fromCharCode(b[s]!))) s++;
  while (e > s && chars.includes(String.fromCharCode(b[e - 1]!))) e--;
  return b.subarray(s, e);
}

/** Splits on single spaces as sdssplitlen does: two spaces in a row give an empty word. */
function splitSpaces(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= b.length; i++) {
    if (i === b.length || b[i] === 32) {
      out.push(b.subarray(start, i));
      start = i + 1;
    }
  }
  return out;
}

/**
 * Reads an ACL file into a new set of users and, when every line is valid, makes it the
 * running one. Returns null, or Redis's one-line description of every problem found.
 */
export function loadAclFile(acl: Acl, file: string, caller: Client | null): string | null {
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch (e) {
    return `Error loading ACLs, opening file '${file}': ${strerror(e)}`;
  }
  let errors = '';
  const users = new Map<string, User>();
  const lines = data.length === 0 ? [] : splitLines(data);
  for (let i = 0; i < lines.length; i++) {
    const linenum = i + 1;
    const line = trim(lines[i]!, ' \t\r\n');
    if (line.length === 0) continue;
    const argv = splitSpaces(line);
    if (argv[0]!.toString('latin1') !== 'user' || argv.length < 2) {
      errors += `${file}:${linenum} should start with user keyword followed by the username. `;
      continue;
    }
    const name = argv[1]!.toString('latin1');
    if (hasSpaces(argv[1]!)) {
      errors += `'${file}:${linenum}: username '${name}' contains invalid characters. `;
      continue;
    }
    if (users.has(name)) {
      errors += `WARNING: Duplicate user '${name}' found on line ${linenum}. `;
      continue;
    }
    const u = acl.newUser(name);
    users.set(name, u);
    const merged = mergeSelectorArgs(argv.slice(2));
    if (!Array.isArray(merged)) {
      errors += `${file}:${linenum}: Unmatched parenthesis in selector definition.`;
      continue;
    }
    let syntaxError = false;
    for (const raw of merged) {
      const op = trim(raw, '\t\r\n');
      try {
        u.apply(op);
      } catch (e) {
        if (!(e instanceof AclRuleError)) throw e;
        if (e.errno === 'ENOENT') {
          errors += `${file}:${linenum}: Error in applying operation '${op.toString('latin1')}': ${e.message}. `;
        } else if (!syntaxError) {
          errors += `${file}:${linenum}: ${e.message}. `;
          syntaxError = true;
        }
      }
    }
  }
  if (errors !== '') return errors + 'WARNING: ACL errors detected, no change to the previously active ACL rules was performed';
  acl.adoptUsers(users, caller);
  return null;
}

function splitLines(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= data.length; i++) {
    if (i === data.length || data[i] === 10) {
      out.push(data.subarray(start, i));
      start = i + 1;
    }
  }
  return out;
}

/** The ACL file's text for the running users: `user <name> <rules>` lines. */
export function aclFileText(acl: Acl): string {
  return acl.sortedUsers().map((u) => `user ${u.name} ${u.describe()}\n`).join('');
}

/** ACL SAVE: writes the users to `file` atomically. Throws with the reason on failure. */
export function saveAclFile(acl: Acl, file: string): void {
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  let fd = -1;
  try {
    fd = fs.openSync(tmp, 'w', 0o644);
    fs.writeSync(fd, latin1(aclFileText(acl)));
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = -1;
    fs.renameSync(tmp, file);
    const dirFd = fs.openSync(path.dirname(path.resolve(file)), 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  } catch (e) {
    if (fd >= 0) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw new Error(strerror(e));
  }
}

/** A `user` line of the config file: its words after "user", and where it was. */
export interface UserDirective {
  words: string[];
  origin: string;
}

/**
 * Checks `user` lines while the config file is read (ACLAppendUserForLoading): syntax errors
 * stop start-up there; unknown commands and categories can only be told once the command table
 * is loaded, so they are left for loadConfiguredUsers. Returns an error text or null.
 */
export function checkUserDirective(words: readonly string[], seen: ReadonlySet<string>): string | null {
  if (words.length < 1) return 'Bad directive or wrong number of arguments';
  if (seen.has(words[0]!)) return `Error in user declaration '${words[0]}': Duplicate user found. A user can only be defined once in config files`;
  const empty = new AclCommands({ all: () => [][Symbol.iterator](), get: () => undefined });
  const ops = words.slice(1).map((w) => Buffer.from(w));
  const merged = mergeSelectorArgs(ops);
  if (!Array.isArray(merged)) return `Error in user declaration '${words[1 + merged.unmatched]}': Unmatched parenthesis in acl selector`;
  const fake = new User('__fakeuser__', empty, () => 'resetchannels');
  for (const op of merged) {
    try {
      fake.apply(op);
    } catch (e) {
      if (!(e instanceof AclRuleError)) throw e;
      if (e.errno !== 'ENOENT') return `Error in user declaration '${op.toString()}': ${e.message}`;
    }
  }
  return null;
}

/**
 * At start-up (ACLLoadUsersAtStartup): the users of the config file, then the aclfile. Both at
 * once is refused. Returns the log lines of a fatal error, or null.
 */
export function loadUsersAtStartup(acl: Acl, directives: readonly UserDirective[], aclfile: string, notice: (line: string) => void): string[] | null {
  if (aclfile !== '' && directives.length > 0) {
    return [
      'Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.',
    ];
  }
  for (const d of directives) {
    const name = d.words[0]!;
    if (hasSpaces(latin1(name))) return ['Spaces not allowed in ACL usernames', 'Critical error while loading ACLs. Exiting.'];
    let u = acl.users.get(name);
    if (u) u.apply(latin1('reset'));
    else {
      u = acl.newUser(name);
      acl.users.set(name, u);
    }
    const merged = mergeSelectorArgs(d.words.slice(1).map((w) => Buffer.from(w)));
    for (const op of Array.isArray(merged) ? merged : []) {
      try {
        u.apply(op);
      } catch (e) {
        if (!(e instanceof AclRuleError)) throw e;
        return [`Error loading ACL rule '${op.toString()}' for the user named '${name}': ${e.message}`, 'Critical error while loading ACLs. Exiting.'];
      }
    }
    if (!u.enabled) notice(`The user '${name}' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error.`);
  }
  if (aclfile !== '') {
    const errors = loadAclFile(acl, aclfile, null);
    if (errors !== null) return [`Aborting Redis startup because of ACL errors: ${errors}`];
  }
  return null;
}
