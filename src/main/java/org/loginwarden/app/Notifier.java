package org.loginwarden.app;

import java.util.List;
import org.loginwarden.core.AuditRecord;

/**
 * Tells the admin about audited events ({@code notify_command}, {@code notify_mail}). Must
 * return at once whatever the notifier does: it is called on the login's path.
 */
public interface Notifier {

  void notify(List<AuditRecord> records);
}
