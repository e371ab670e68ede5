/**
 * How this process names its temporary snapshot files (a save writes one, then renames it into
 * place): a forced exit (server/lifecycle.ts) removes them by this prefix. Its own module, so
 * that main.ts can know it without loading the snapshot code.
 */
export function tempPrefix(): string {
  return `temp-${process.pid}-`;
}
