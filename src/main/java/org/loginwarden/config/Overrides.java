package org.loginwarden.config;

import java.time.Duration;

/** The keys a [user NAME] or [group NAME] section may set; null means "not set here". */
public record Overrides(
    Integer maxSessions, Integer violations, Duration violationWindow, Duration lockTime) {

  public static final Overrides NONE = new Overrides(null, null, null, null);

  Overrides with(String key, Object value) {
    return new Overrides(
        key.equals("max_sessions") ? (Integer) value : maxSessions,
        key.equals("violations") ? (Integer) value : violations,
        key.equals("violation_window") ? (Duration) value : violationWindow,
        key.equals("lock_time") ? (Duration) value : lockTime);
  }
}
