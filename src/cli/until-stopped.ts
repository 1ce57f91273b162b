/**
 * Resolves on the first SIGINT or SIGTERM (and, when asked, when standard input closes: how a
 * parent that is killed takes its children with it), then stops listening for them. The long-running
 * commands (explore, serve, node) wait on it before they shut down cleanly.
 */
export function untilStopped(options: { readonly stdinClose?: boolean } = {}): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (options.stdinClose) {
        process.stdin.off('end', stop);
        process.stdin.off('close', stop);
      }
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (options.stdinClose) {
      process.stdin.on('end', stop);
      process.stdin.on('close', stop);
      process.stdin.resume();
    }
  });
}
