package org.loginwarden.core;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The failed-login rules, pure: counting within {@code auth_failure_window}, the lockout and
 * its end, and the backoff delay. No I/O, no clock: {@code now} is a parameter.
 *
 * <p>Every password attempt is counted as failed when it starts, before {@code pam_unix} has
 * said anything, and a success clears the count. Debian's {@code @include common-auth} ends
 * the stack at once on a wrong password (its {@code pam_deny} is {@code requisite}), so a line
 * after it runs only on success; counting first lets that include stay as it is, with
 * whatever pam-auth-update put there (pam_sss, pam_krb5), instead of inlining pam_unix.
 *
 * <p>A failure lockout is loginwarden's own lock with reason {@value #LOCK_REASON}: it never
 * touches /etc/shadow, so that the console keeps working (a locked hash would refuse the right
 * password there too) and the lock lifts by itself without restoring anything.
 */
public final class AuthFailureRules {

  public static final String LOCK_REASON = "auth_failures";

  /**
   * The longest a hook waits before an attempt, whatever the count: sshd's LoginGraceTime
   * (120 s by default) ends a slower login anyway, and each waiting attempt holds a process.
   */
  public static final Duration MAX_DELAY = Duration.ofSeconds(60);

  /** Local terminals: the virtual consoles, serial lines, the system console. */
  private static final Pattern CONSOLE_TTY =
      Pattern.compile("(/dev/)?(console|tty[0-9]+|ttyS[0-9]+|ttyAMA[0-9]+|ttyUSB[0-9]+|hvc[0-9]+)");

  private AuthFailureRules() {}

  /** What a password attempt may do: go on (after {@code delay}) or not, and the new state. */
  public record Check(Decision decision, Duration delay) {}

  /**
   * A password attempt is about to be checked. A locked user is refused at once and not
   * counted; otherwise the attempt is counted as failed until {@link #succeeded} clears it,
   * the account is locked if that makes {@code failures}, and the attempt waits for the
   * backoff that the failures before it earned. The caller has already lifted an expired lock.
   *
   * @param origin the attempt as the audit trail shows it (service, remote host, tty)
   */
  public static Check attempt(UserState state, AuthPolicy policy, boolean dryRun, Session origin,
      Instant now) {
    String user = state.user();
    List<AuditRecord> audit = new ArrayList<>();
    Lock lock = state.lock();
    if (lock != null && lock.activeAt(now)) {
      audit.add(record("refuse", user, origin, "account locked (" + lock.reason() + ") "
          + remaining(lock, now), dryRun));
      return new Check(new Decision(state, dryRun, dryRun ? null
          : "loginwarden: account " + user + " is locked " + remaining(lock, now), List.of(),
          audit), Duration.ZERO);
    }
    if (!policy.counts()) {
      return new Check(new Decision(state, true, null, List.of(), List.of()), Duration.ZERO);
    }
    List<Instant> failures = recent(state.authFailures(), policy.window(), now);
    Duration delay = delayAfter(failures.size(), policy);
    failures.add(now);
    UserState next = state.withAuthFailures(failures);
    String count = failures.size() + " of " + policy.failures() + " within "
        + Durations.format(policy.window());
    audit.add(record("auth_attempt", user, origin, "attempt " + count
        + ", counted as failed unless it succeeds"
        + (delay.isZero() ? "" : "; delayed " + Durations.format(delay)
            + (dryRun ? " (not applied)" : "")), dryRun));
    // An inactive lock left in place (caller did not refresh) is never overwritten: it may
    // hold what /etc/shadow needs back.
    if (failures.size() >= policy.failures() && lock == null) {
      Instant until = policy.lockout().isZero() ? null : now.plus(policy.lockout());
      audit.add(record("lock", user, origin, "failed login " + count + ": locked "
          + (until == null ? "until unlocked" : "for " + Durations.format(policy.lockout()))
          + " unless this attempt succeeds", dryRun));
      if (!dryRun) {
        next = next.withLock(new Lock(now, until, LOCK_REASON, AuditRecord.BY_LOGINWARDEN, null));
      }
    }
    return new Check(new Decision(next, true, null, List.of(), audit),
        dryRun ? Duration.ZERO : delay);
  }

  /**
   * A password was accepted: the attempts counted so far were not all failures after all, so
   * the count starts again, and a lockout this very attempt set (or one set by attempts that
   * ran alongside it) is lifted. A locked user never gets here: {@link #attempt} refused them.
   */
  public static Decision succeeded(UserState state, Session origin, Instant now) {
    List<AuditRecord> audit = new ArrayList<>();
    UserState next = state;
    if (!state.authFailures().isEmpty()) {
      audit.add(record("auth_success", state.user(), origin, "authenticated: "
          + state.authFailures().size() + " counted attempt(s) cleared", false));
      next = next.withAuthFailures(List.of());
    }
    if (isFailureLock(state.lock())) {
      audit.add(record("unlock", state.user(), origin,
          "authenticated before the lockout took hold", false));
      next = next.withLock(null);
    }
    return new Decision(next, true, null, List.of(), audit);
  }

  /** The delay before the attempt that follows {@code failures} counted failures. */
  public static Duration delayAfter(int failures, AuthPolicy policy) {
    int past = failures - policy.backoffThreshold();
    if (past <= 0) {
      return Duration.ZERO;
    }
    Duration delay = policy.backoffFactor().multipliedBy(past);
    return delay.compareTo(MAX_DELAY) > 0 ? MAX_DELAY : delay;
  }

  /** Failures younger than the window, oldest first, bounded as violations are. */
  public static List<Instant> recent(List<Instant> failures, Duration window, Instant now) {
    return Decider.recentViolations(failures, window, now);
  }

  /**
   * Whether PAM describes a login on a local terminal: no remote host and a console tty. sshd
   * always sets PAM_TTY to {@code ssh}, so no SSH login can pass for one.
   */
  public static boolean isConsole(String remoteHost, String tty) {
    return (remoteHost == null || remoteHost.isEmpty()) && tty != null
        && CONSOLE_TTY.matcher(tty).matches();
  }

  /** Whether this login passes {@code lock} by the console exemption. */
  public static boolean sparesConsole(Lock lock, AuthPolicy policy, String remoteHost,
      String tty) {
    return isFailureLock(lock) && policy.consoleExempt() && isConsole(remoteHost, tty);
  }

  public static boolean isFailureLock(Lock lock) {
    return lock != null && LOCK_REASON.equals(lock.reason());
  }

  private static String remaining(Lock lock, Instant now) {
    return lock.until() == null ? "until unlocked"
        : "for " + Durations.human(Duration.between(now, lock.until())) + " more";
  }

  private static AuditRecord record(String event, String user, Session origin, String reason,
      boolean dryRun) {
    return new AuditRecord(event, user, origin, reason, AuditRecord.BY_LOGINWARDEN, dryRun);
  }
}
