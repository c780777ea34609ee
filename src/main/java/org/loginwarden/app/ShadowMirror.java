package org.loginwarden.app;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.loginwarden.account.AccountException;
import org.loginwarden.account.AccountLocker;
import org.loginwarden.core.AuditRecord;
import org.loginwarden.core.AuthFailureRules;
import org.loginwarden.core.Lock;
import org.loginwarden.core.SavedAccount;
import org.loginwarden.core.UserState;
import org.loginwarden.store.StateStore;
import org.loginwarden.store.StoreException;

/**
 * Fleet mode: a lock lives in the shared store, but each host's /etc/shadow is its own. Every
 * host mirrors a fleet lock into its own account database and keeps what it replaced in its
 * own local store (a lock whose {@code saved} is this host's old values), so that an unlock
 * decided on any host restores each host's file byte for byte. Failed-login lockouts are
 * never mirrored, as on a single host.
 */
public final class ShadowMirror {

  private final StateStore local;
  private final AccountLocker locker;

  /**
   * @param local this host's own store: a user's record here means "this host locked the
   *              account in /etc/shadow and this is what it held before"
   */
  public ShadowMirror(StateStore local, AccountLocker locker) {
    this.local = local;
    this.locker = locker;
  }

  /** Whether a fleet lock belongs in /etc/shadow now. */
  static boolean mirrors(Lock fleetLock, Instant now) {
    return fleetLock != null && fleetLock.activeAt(now)
        && !AuthFailureRules.isFailureLock(fleetLock);
  }

  /**
   * Brings this host's /etc/shadow in line with the fleet's lock of {@code user}: locks it
   * (saving the old values first) or restores it. Returns what to audit; nothing when the host
   * already agrees.
   */
  public List<AuditRecord> reconcile(String user, Lock fleetLock, Instant now)
      throws StoreException {
    List<AuditRecord> audit = new ArrayList<>();
    boolean wanted = mirrors(fleetLock, now);
    UserState seen = local.peek(user);
    if (wanted == (seen.lock() != null)) {
      return audit;
    }
    try (StateStore.Transaction tx = local.begin(user)) {
      Lock mirrored = tx.state().lock();
      if (wanted && mirrored == null) {
        SavedAccount saved;
        try {
          saved = locker.read(user);
        } catch (AccountException e) {
          audit.add(record("error", user, e.getMessage()));
          return audit;
        }
        if (saved == null) {
          return audit; // not a local account (LDAP, say): the account hook refuses it
        }
        // Saved before the change: a crash in between leaves what unlock needs.
        tx.write(UserState.empty(user).withLock(fleetLock.withSaved(saved)));
        try {
          locker.lock(user);
          audit.add(record("lock", user, "fleet lock (" + fleetLock.reason()
              + ") mirrored into this host's account database"));
        } catch (AccountException e) {
          audit.add(record("error", user, e.getMessage()));
        }
      } else if (!wanted && mirrored != null) {
        try {
          if (mirrored.saved() != null) {
            locker.restore(user, mirrored.saved());
          }
          tx.write(UserState.empty(user));
          audit.add(record("unlock", user, "fleet lock lifted: this host's account database "
              + "restored"));
        } catch (AccountException e) {
          audit.add(record("error", user, e.getMessage() + "; the restore is retried"));
        }
      }
    }
    return audit;
  }

  /**
   * Users this host keeps a record of: every user it mirrored a lock for (and those with a
   * login let in during an outage, which the same store holds; reconciling them is a no-op).
   */
  public List<String> mirrored() throws StoreException {
    return local.users();
  }

  private static AuditRecord record(String event, String user, String reason) {
    return new AuditRecord(event, user, null, reason, AuditRecord.BY_LOGINWARDEN, false);
  }
}
