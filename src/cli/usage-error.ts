/** Bad arguments or a bad model: reported in one clear line, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
