/**
 * `npm start` runs `kessai start` as a child of npm. When npm is stopped by a signal it cannot
 * forward (SIGKILL, a closed terminal), the child would keep the three ports; so under npm the
 * process watches its parent and stops when it is gone (it is then re-parented, and its parent
 * process id changes).
 */
export function stopWithParent(stop: (reason: string) => void, intervalMs = 500): void {
  if (process.env.npm_lifecycle_event === undefined) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      stop('parent process exited');
    }
  }, intervalMs);
  timer.unref();
}
