package org.loginwarden.core;

/**
 * One line of the audit trail, before time and host are added.
 *
 * @param event   open, close, refuse, violation, kick, lock, unlock, error
 * @param session the session concerned, or null
 * @param by      who caused it: {@code loginwarden} for hook decisions, else the admin
 * @param dryRun  the decision was made but, by {@code dry_run}, not carried out
 */
public record AuditRecord(
    String event, String user, Session session, String reason, String by, boolean dryRun) {

  public static final String BY_LOGINWARDEN = "loginwarden";
}
