package org.loginwarden.core;

import java.time.Duration;

/**
 * The limits that apply to one user, after [user] and [group] sections were resolved.
 *
 * @param lockTime how long a violation lock lasts; {@link Duration#ZERO} means until unlocked
 */
public record Policy(
    int maxSessions,
    OnViolation onViolation,
    int violations,
    Duration violationWindow,
    Duration lockTime,
    boolean dryRun) {}
