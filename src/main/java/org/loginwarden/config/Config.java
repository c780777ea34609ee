package org.loginwarden.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.loginwarden.core.OnViolation;
import org.loginwarden.core.Policy;

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
    Map<String, Overrides> userSections,
    Map<String, Overrides> groupSections) {

  public static final Path DEFAULT_PATH = Path.of("/etc/security/loginwarden.conf");

  public Config {
    services = Set.copyOf(services);
    exemptUsers = Set.copyOf(exemptUsers);
    exemptGroups = Set.copyOf(exemptGroups);
    userSections = Map.copyOf(userSections);
    groupSections = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(groupSections));
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
    Overrides merged = Overrides.NONE;
    for (Map.Entry<String, Overrides> section : groupSections.entrySet()) {
      if (groups.contains(section.getKey())) {
        merged = overlay(merged, section.getValue());
      }
    }
    merged = overlay(merged, userSections.getOrDefault(user, Overrides.NONE));
    return new Policy(
        merged.maxSessions() != null ? merged.maxSessions() : maxSessions,
        onViolation,
        merged.violations() != null ? merged.violations() : violations,
        merged.violationWindow() != null ? merged.violationWindow() : violationWindow,
        merged.lockTime() != null ? merged.lockTime() : lockTime,
        dryRun);
  }

  private static Overrides overlay(Overrides base, Overrides top) {
    return new Overrides(
        top.maxSessions() != null ? top.maxSessions() : base.maxSessions(),
        top.violations() != null ? top.violations() : base.violations(),
        top.violationWindow() != null ? top.violationWindow() : base.violationWindow(),
        top.lockTime() != null ? top.lockTime() : base.lockTime());
  }
}
