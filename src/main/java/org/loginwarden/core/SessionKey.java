package org.loginwarden.core;

/** A process identity that survives pid reuse: the pid and its start time. */
public record SessionKey(long pid, long startTime) {

  // Written out: a record's own equals and hashCode are linked through invokedynamic on first
  // use, which cost every hook call a few milliseconds of method-handle setup.
  @Override
  public boolean equals(Object o) {
    return o instanceof SessionKey k && k.pid == pid && k.startTime == startTime;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(pid) * 31 + Long.hashCode(startTime);
  }
}
