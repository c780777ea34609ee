package org.loginwarden.core;

import java.time.Instant;

/**
 * One live login as recorded at open_session. Identified by the pid of the per-connection
 * privileged sshd and that process's start time: pids are reused, a (pid, start) pair is not.
 *
 * @param pid          pid of the {@code sshd: USER [priv]} process, the hook's parent
 * @param startTime    field 22 of {@code /proc/PID/stat}, in clock ticks since boot
 * @param auditSession {@code /proc/PID/sessionid}, or {@link #NO_AUDIT_SESSION} when audit is off
 * @param ending       when loginwarden decided to end this session; null while it may run
 * @param activity     what the last sweep saw of its use; null before the first sweep
 * @param host         the fleet host it runs on (only that host can see its processes); null
 *                     with the per-host file store, where every session is this host's
 */
public record Session(
    long pid,
    long startTime,
    long auditSession,
    String service,
    String remoteHost,
    int remotePort,
    String tty,
    String authMethod,
    String authKey,
    Instant opened,
    Instant ending,
    Activity activity,
    String host) {

  /** The kernel's "unset" value for /proc/PID/sessionid: (u32) -1. */
  public static final long NO_AUDIT_SESSION = 4294967295L;

  /** A session as open_session records it: not ending, not yet swept. */
  public Session(long pid, long startTime, long auditSession, String service, String remoteHost,
      int remotePort, String tty, String authMethod, String authKey, Instant opened,
      Instant ending) {
    this(pid, startTime, auditSession, service, remoteHost, remotePort, tty, authMethod,
        authKey, opened, ending, null, null);
  }

  /** A session of this host's file store. */
  public Session(long pid, long startTime, long auditSession, String service, String remoteHost,
      int remotePort, String tty, String authMethod, String authKey, Instant opened,
      Instant ending, Activity activity) {
    this(pid, startTime, auditSession, service, remoteHost, remotePort, tty, authMethod,
        authKey, opened, ending, activity, null);
  }

  public SessionKey key() {
    return new SessionKey(host, pid, startTime);
  }

  public boolean hasAuditSession() {
    return auditSession >= 0 && auditSession != NO_AUDIT_SESSION;
  }

  public Session endingAt(Instant when) {
    return ending != null
        ? this
        : new Session(pid, startTime, auditSession, service, remoteHost, remotePort, tty,
            authMethod, authKey, opened, when, activity, host);
  }

  public Session withActivity(Activity seen) {
    return new Session(pid, startTime, auditSession, service, remoteHost, remotePort, tty,
        authMethod, authKey, opened, ending, seen, host);
  }
}
