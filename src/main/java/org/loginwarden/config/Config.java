package org.loginwarden.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.loginwarden.core.AuthPolicy;
import org.loginwarden.core.OnViolation;
import org.loginwarden.core.Policy;
import org.loginwarden.core.SessionLimits;

/** The parsed configuration file. Immutable; see {@link ConfigParser} for the format. */
public record Config(
    int maxSessions,
    OnViolation onViolation,
    int violations,
    Duration violationWindow,
    Duration lockTime,
    Set<String> services,
    Set<String> exemptUsers,
    Set<String> exemptGroups,
    Path stateDir,
    Path runDir,
    Path auditLog,
    Path logFile,
    Duration lockTimeout,
    Duration killGrace,
    OnError onError,
    boolean dryRun,
    Duration maxSessionTime,
    Duration idleTimeout,
    Duration warnBefore,
    Duration sweepInterval,
    boolean foregroundJobIsActivity,
    int authFailures,
    Duration authFailureWindow,
    Duration authLockout,
    int backoffThreshold,
    Duration backoffFactor,
    boolean consoleExempt,
    Path notifyCommand,
    Set<String> notifyOn,
    List<String> notifyMail,
    Duration notifyTimeout,
    Fleet fleet,
    Map<String, Overrides> userSections,
    Map<String, Overrides> groupSections) {

  public static final Path DEFAULT_PATH = Path.of("/etc/security/loginwarden.conf");

  public Config {
    services = Set.copyOf(services);
    exemptUsers = Set.copyOf(exemptUsers);
    exemptGroups = Set.copyOf(exemptGroups);
    notifyOn = Set.copyOf(notifyOn);
    notifyMail = List.copyOf(notifyMail);
    userSections = Map.copyOf(userSections);
    groupSections = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(groupSections));
  }

  /** Whether anyone is to be notified of anything: a notifier or a mail, and an event. */
  public boolean notifies() {
    return (notifyCommand != null || !notifyMail.isEmpty()) && !notifyOn.isEmpty();
  }

  /** Whether deciding about this user needs the user's groups at all. */
  public boolean needsGroups() {
    return !exemptGroups.isEmpty() || !groupSections.isEmpty();
  }

  /** Root is exempt whatever the file says: loginwarden must never lock out the admin. */
  public boolean isExempt(String user, List<String> groups) {
    return user.equals("root") || exemptUsers.contains(user)
        || groups.stream().anyMatch(exemptGroups::contains);
  }

  /**
   * The limits for one user: the global values, then each matching [group] section in file
   * order, then the [user] section, which beats any group.
   */
  public Policy policyFor(String user, List<String> groups) {
    Overrides o = sectionsFor(user, groups);
    return new Policy(
        o.get("max_sessions", maxSessions),
        onViolation,
        o.get("violations", violations),
        o.get("violation_window", violationWindow),
        o.get("lock_time", lockTime),
        dryRun);
  }

  /** The session time limits for one user, resolved like {@link #policyFor}. */
  public SessionLimits limitsFor(String user, List<String> groups) {
    Overrides o = sectionsFor(user, groups);
    return new SessionLimits(
        o.get("max_session_time", maxSessionTime),
        o.get("idle_timeout", idleTimeout),
        o.get("warn_before", warnBefore),
        foregroundJobIsActivity);
  }

  /** The failed-login limits for one user, resolved like {@link #policyFor}. */
  public AuthPolicy authPolicyFor(String user, List<String> groups) {
    Overrides o = sectionsFor(user, groups);
    return new AuthPolicy(
        o.get("auth_failures", authFailures),
        o.get("auth_failure_window", authFailureWindow),
        o.get("auth_lockout", authLockout),
        o.get("backoff_threshold", backoffThreshold),
        o.get("backoff_factor", backoffFactor),
        o.get("console_exempt", consoleExempt));
  }

  /** Whether any user's failed logins are counted: globally, or by some section. */
  public boolean countsAuthFailures() {
    return authFailures > 0 || java.util.stream.Stream.concat(userSections.values().stream(),
        groupSections.values().stream()).anyMatch(o -> o.get("auth_failures", 0) > 0);
  }

  private Overrides sectionsFor(String user, List<String> groups) {
    Overrides merged = Overrides.NONE;
    for (Map.Entry<String, Overrides> section : groupSections.entrySet()) {
      if (groups.contains(section.getKey())) {
        merged = merged.under(section.getValue());
      }
    }
    return merged.under(userSections.getOrDefault(user, Overrides.NONE));
  }
}
