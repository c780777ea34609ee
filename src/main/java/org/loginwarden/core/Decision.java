package org.loginwarden.core;

import java.util.List;

/**
 * What the decision core returns: the state to store, the answer for PAM, a one-line message
 * for the client (or null), what to do, and what to audit.
 */
public record Decision(
    UserState next, boolean allow, String message, List<Action> actions, List<AuditRecord> audit) {

  public Decision {
    actions = List.copyOf(actions);
    audit = List.copyOf(audit);
  }

  public <T extends Action> boolean has(Class<T> type) {
    return actions.stream().anyMatch(type::isInstance);
  }
}
