package org.loginwarden.core;

import java.util.Objects;

/**
 * A process identity that survives pid reuse: the pid and its start time, on a host (null
 * with the per-host file store; in a fleet, pids of different hosts are different processes).
 */
public record SessionKey(String host, long pid, long startTime) {

  /** A process of this host, with the file store. */
  public SessionKey(long pid, long startTime) {
    this(null, pid, startTime);
  }

  // Written out: a record's own equals and hashCode are linked through invokedynamic on first
  // use, which cost every hook call a few milliseconds of method-handle setup.
  @Override
  public boolean equals(Object o) {
    return o instanceof SessionKey k && k.pid == pid && k.startTime == startTime
        && Objects.equals(k.host, host);
  }

  @Override
  public int hashCode() {
    return (Long.hashCode(pid) * 31 + Long.hashCode(startTime)) * 31 + Objects.hashCode(host);
  }
}
