package org.loginwarden.core;

/** What /proc says about a recorded session right now. */
public enum Presence {
  /** Its [priv] sshd runs and holds a live user-side process: it counts. */
  LIVE,
  /** Its [priv] runs but holds no live user-side process yet: opening or closing, unknown. */
  SETTLING,
  /** The user side has exited and sshd is cleaning up: it no longer counts. */
  CLOSING,
  /** The pid is gone, a zombie, or another process now: drop the record. */
  GONE,
  /**
   * Fleet mode: it runs on a host whose watcher has not reported within host_timeout. The
   * host is presumed dead, so it does not count; the record stays for that host to clear.
   */
  UNREACHABLE;

  /** Whether a session in this state counts against {@code max_sessions}. */
  public boolean counts() {
    return this == LIVE || this == SETTLING;
  }
}
