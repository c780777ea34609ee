package org.loginwarden.proc;

/**
 * What loginwarden needs to know of one process, read from /proc.
 *
 * @param state        the one-letter state of /proc/PID/stat ('Z' for a zombie)
 * @param unixSession  the session id of setsid(2), field 6 of /proc/PID/stat
 * @param startTime    field 22 of /proc/PID/stat: with the pid, a unique identity
 * @param uid          the real uid, or -1 when not read
 * @param auditSession /proc/PID/sessionid
 */
public record ProcessInfo(
    long pid, long ppid, char state, long unixSession, long startTime, long uid,
    long auditSession) {

  public boolean isZombie() {
    return state == 'Z' || state == 'X' || state == 'x';
  }
}
