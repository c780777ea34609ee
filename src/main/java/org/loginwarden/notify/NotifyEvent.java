package org.loginwarden.notify;

import java.util.List;
import org.loginwarden.core.AuditRecord;

/**
 * The events an admin can be notified of ({@code notify_on}), each named after what happened
 * rather than after the audit line it comes from: a failed-login lockout is not the same news
 * as a violation lock, and a session ended by a time limit is audited as {@code expired} or
 * {@code idle} but is one kind of news.
 */
public final class NotifyEvent {

  /** Every name {@code notify_on} accepts. */
  public static final List<String> NAMES = List.of("open", "violation", "kick", "refuse",
      "lock", "auth_lockout", "unlock", "time_limit", "error");

  /** How AuthFailureRules words the lock it sets; pinned by a test through the real rules. */
  static final String AUTH_LOCK_PREFIX = "failed login ";

  private NotifyEvent() {}

  /** The notification event an audit record is, or null for records nobody is notified of. */
  public static String of(AuditRecord r) {
    return switch (r.event()) {
      case "open", "violation", "kick", "refuse", "unlock", "error" -> r.event();
      case "lock" -> r.reason() != null && r.reason().startsWith(AUTH_LOCK_PREFIX)
          ? "auth_lockout" : "lock";
      case "expired", "idle" -> "time_limit";
      default -> null; // close, warn, auth_attempt, auth_success, console: routine
    };
  }
}
