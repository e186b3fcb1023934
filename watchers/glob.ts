// Glob patterns of the pipeline YAML ("**/*.parquet", "*.tmp", "{a,b}/*.csv") compiled to
// regular expressions once. The folder watcher matches paths itself and Node 20's path.matchesGlob
// is experimental, so this small matcher is ours: `**` spans folders, `*` and `?` stay
// inside one path segment, `{a,b}` alternates, `[abc]` is a class. Case-sensitive unless
// asked (`nocase`): the sources' include patterns are matched case-insensitively.

export type GlobMatcher = (path: string) => boolean;

function escape(char: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(char) ? `\\${char}` : char;
}

export type GlobOptions = {
  /**
   * Case-insensitive: the sources' include patterns are (a Windows producer writes
   * EXPORT.PARQUET, and "**\/*.parquet" must not skip it silently).
   */
  nocase?: boolean;
};

export function globToRegExp(glob: string, options: GlobOptions = {}): RegExp {
  let out = '';
  let inGroup = 0;
  for (let i = 0; i < glob.length; i += 1) {
    const char = glob[i]!;
    if (char === '*') {
      if (glob[i + 1] === '*') {
        const atSegmentStart = i === 0 || glob[i - 1] === '/';
        i += 1;
        if (atSegmentStart && glob[i + 1] === '/') {
          // "**/" matches zero or more whole folders.
          out += '(?:[^/]*/)*';
          i += 1;
        } else {
          out += '.*';
        }
      } else {
        out += '[^/]*';
      }
    } else if (char === '?') {
      out += '[^/]';
    } else if (char === '{') {
      inGroup += 1;
      out += '(?:';
    } else if (char === '}' && inGroup > 0) {
      inGroup -= 1;
      out += ')';
    } else if (char === ',' && inGroup > 0) {
      out += '|';
    } else if (char === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) {
        out += '\\[';
      } else {
        const body = glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        out += `[${body}]`;
        i = end;
      }
    } else {
      out += escape(char);
    }
  }
  return new RegExp(`^${out}$`, options.nocase ? 'i' : '');
}

/** Matches a path relative to the source root, written with "/" separators. */
export function globMatcher(globs: readonly string[], options: GlobOptions = {}): GlobMatcher {
  const patterns = globs.map((glob) => globToRegExp(glob, options));
  return (path) => patterns.some((pattern) => pattern.test(path));
}
