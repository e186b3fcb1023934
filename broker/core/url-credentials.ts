// One check that connection URLs share: Node's URL keeps user:password@ percent-encoded, and
// a driver decodes it; a stray "%" makes that throw later, with the password in the message.

/** What is wrong with the escaping of the user name or password of `url`, or undefined; never repeats them. */
export function credentialEscapeProblem(url: URL): string | undefined {
  for (const [part, value] of [['user name', url.username], ['password', url.password]] as const) {
    try {
      decodeURIComponent(value);
    } catch {
      return `has a badly escaped ${part} (write % as %25)`;
    }
  }
  return undefined;
}
