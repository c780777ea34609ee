package org.loginwarden.app;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.loginwarden.account.AccountDirectory;
import org.loginwarden.account.AccountException;
import org.loginwarden.config.Config;
import org.loginwarden.core.AuditRecord;
import org.loginwarden.core.AuthFailureRules;
import org.loginwarden.core.AuthPolicy;
import org.loginwarden.core.Decider;
import org.loginwarden.core.Decision;
import org.loginwarden.core.Session;
import org.loginwarden.core.UserState;
import org.loginwarden.pam.PamEnvironment;
import org.loginwarden.proc.ProcessInfo;
import org.loginwarden.store.StoreException;

/**
 * The failed-login use cases, for PAM's auth phase: the check before the password is tested
 * (refuse a locked user at once, count the attempt, wait the backoff) and the line after a
 * success (clear the count). Decisions are {@link AuthFailureRules}; reading, writing and
 * auditing go through the {@link Warden}'s transaction, so both kinds of lock share one store.
 *
 * <p>The user name here is whatever the client typed. Only a name that is an account, or one
 * that already has state, ever reaches the store: random names are audited and let through
 * to pam_unix, which refuses them; no file, not even a lock file, is created for them.
 */
public final class AuthGuard {

  /** Waits out the backoff; tests pass one that records instead. */
  public interface Sleeper {
    void sleep(Duration delay) throws InterruptedException;
  }

  private final Warden warden;
  private final Config config;
  private final AccountDirectory accounts;
  private final Sleeper sleeper;
  private final Clock clock;
  private final Decider decider = new Decider();

  public AuthGuard(Warden warden, Config config, AccountDirectory accounts, Sleeper sleeper,
      Clock clock) {
    this.warden = warden;
    this.config = config;
    this.accounts = accounts;
    this.sleeper = sleeper;
    this.clock = clock;
  }

  /**
   * Before the password is checked. Refuses a locked user; counts the attempt as failed until
   * {@link #succeeded} says otherwise; sleeps the backoff after the store is released.
   */
  public Warden.Verdict check(PamEnvironment env, ProcessInfo caller) throws StoreException {
    String user = env.user();
    Session origin = warden.sessionOf(env, caller);
    if (user.equals("root")) {
      return pass(user, origin, "root: never counted or locked");
    }
    UserState seen = warden.peekForFastPath(user);
    boolean hasState = seen == null || !seen.isEmpty();
    if (!hasState && !config.countsAuthFailures()) {
      return Warden.Verdict.ALLOW;
    }
    if (!hasState) {
      try {
        if (!accounts.exists(user)) {
          return pass(user, origin, "no such account: not counted");
        }
      } catch (AccountException e) {
        // Users NSS cannot answer for cannot log in either: letting the attempt go on
        // costs nothing, refusing would lock out local users when LDAP is down.
        warden.reportError(user, origin, e.getMessage() + "; attempt not counted");
        return Warden.Verdict.ALLOW;
      }
    }
    List<String> groups = warden.groupsOf(user);
    if (config.isExempt(user, groups)) {
      return pass(user, origin, "exempt: not counted or locked");
    }
    AuthPolicy policy = config.authPolicyFor(user, groups);
    if (policy.consoleExempt() && AuthFailureRules.isConsole(env.remoteHost(), env.tty())) {
      return pass(user, origin, "console: not counted, never refused by a lockout "
          + "(console_exempt)");
    }
    if (!policy.counts() && seen != null && seen.lock() == null) {
      return Warden.Verdict.ALLOW;
    }
    AtomicReference<Duration> delay = new AtomicReference<>(Duration.ZERO);
    Decision d = warden.transact(user, state -> {
      Instant now = clock.instant();
      // An expired lock of either kind is lifted first (restoring /etc/shadow for a
      // violation lock), so that the password works again once lock_time is over.
      Decision lifted = decider.refresh(state, java.util.Map.of(), now);
      AuthFailureRules.Check c =
          AuthFailureRules.attempt(lifted.next(), policy, config.dryRun(), origin, now);
      delay.set(c.delay());
      return followedBy(lifted, c.decision());
    });
    if (d.allow() && !delay.get().isZero()) {
      try {
        sleeper.sleep(delay.get());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return new Warden.Verdict(d.allow(), d.message());
  }

  /** After the password was accepted: the count starts again. Never refuses. */
  public Warden.Verdict succeeded(PamEnvironment env, ProcessInfo caller) throws StoreException {
    String user = env.user();
    if (user.equals("root") || AuthFailureRules.isConsole(env.remoteHost(), env.tty())) {
      // Console attempts were never counted, and must not lift a remote lockout.
      return Warden.Verdict.ALLOW;
    }
    UserState seen = warden.peekForFastPath(user);
    if (seen != null && seen.authFailures().isEmpty()
        && !AuthFailureRules.isFailureLock(seen.lock())) {
      return Warden.Verdict.ALLOW;
    }
    Session origin = warden.sessionOf(env, caller);
    warden.transact(user, state -> AuthFailureRules.succeeded(state, origin, clock.instant()));
    return Warden.Verdict.ALLOW;
  }

  private Warden.Verdict pass(String user, Session origin, String reason) {
    warden.record(List.of(new AuditRecord("auth_attempt", user, origin, reason,
        AuditRecord.BY_LOGINWARDEN, false)));
    return Warden.Verdict.ALLOW;
  }

  /** One decision made of two taken in turn: the second's state, both audits and actions. */
  private static Decision followedBy(Decision first, Decision second) {
    List<AuditRecord> audit = new java.util.ArrayList<>(first.audit());
    audit.addAll(second.audit());
    List<org.loginwarden.core.Action> actions = new java.util.ArrayList<>(first.actions());
    actions.addAll(second.actions());
    return new Decision(second.next(), second.allow(), second.message(), actions, audit);
  }
}
