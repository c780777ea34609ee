package org.loginwarden.cli;

import java.io.PrintWriter;
import java.util.Optional;
import org.loginwarden.app.AuthGuard;
import org.loginwarden.app.Warden;
import org.loginwarden.config.ConfigException;
import org.loginwarden.config.OnError;
import org.loginwarden.pam.PamEnvironment;
import org.loginwarden.pam.PamInputException;
import org.loginwarden.proc.ProcessInfo;
import org.loginwarden.store.StoreException;
import org.slf4j.LoggerFactory;

/**
 * The pam_exec entry point. Whatever happens inside, PAM gets an answer: the decision, or on
 * loginwarden's own failure what {@code on_error} says (root always gets in). Nothing reaches
 * stdout but the line meant for the client.
 */
final class PamRunner {

  private final Wiring wiring;
  private final PrintWriter out;
  private final PrintWriter err;
  private final boolean authSucceeded;

  /**
   * @param authSucceeded the auth line after {@code @include common-auth}, which runs only
   *                      when the password was accepted (pam_exec has no PAM_TYPE for it)
   */
  PamRunner(Wiring wiring, PrintWriter out, PrintWriter err, boolean authSucceeded) {
    this.wiring = wiring;
    this.out = out;
    this.err = err;
    this.authSucceeded = authSucceeded;
  }

  ExitCode run() {
    PamEnvironment env = null;
    Warden warden = null;
    ExitCode failure;
    String reason;
    try {
      env = PamEnvironment.current();
      if (!wiring.config().services().contains(env.service())) {
        return ExitCode.OK;
      }
      Warden.Verdict verdict;
      switch (env.type()) {
        case "open_session" -> {
          warden = hookWarden();
          verdict = warden.open(env, parentSshd());
        }
        case "close_session" -> {
          warden = hookWarden();
          verdict = warden.close(env, parentSshd());
        }
        case "account" -> {
          warden = hookWarden();
          verdict = warden.account(env);
        }
        case "auth" -> {
          warden = hookWarden();
          AuthGuard guard = wiring.authGuard(warden);
          verdict = authSucceeded ? guard.succeeded(env, parentSshd())
              : guard.check(env, parentSshd());
        }
        default -> {
          return ExitCode.OK;
        }
      }
      if (verdict.allow()) {
        return ExitCode.OK;
      }
      if (verdict.message() != null) {
        out.println(verdict.message());
      }
      return ExitCode.REFUSED;
    } catch (ConfigException e) {
      failure = ExitCode.CONFIG;
      reason = "cannot read configuration: " + e.getMessage();
    } catch (PamInputException e) {
      failure = ExitCode.INPUT;
      reason = "cannot use PAM environment: " + e.getMessage();
    } catch (StoreException e) {
      failure = ExitCode.STATE;
      reason = "cannot use state: " + e.getMessage();
    } catch (RuntimeException e) {
      failure = ExitCode.SOFTWARE;
      reason = "internal error: " + e;
    }
    String user = env == null ? "-" : env.user();
    OnError onError = onError();
    err.println("loginwarden: " + reason);
    report(warden, user, reason + "; " + answer(onError, user));
    if (letsIn(onError, user)) {
      return ExitCode.OK;
    }
    // Shown to the client only on the session line (pam_exec's stdout option).
    out.println("loginwarden: login refused: loginwarden cannot decide (on_error = closed)");
    return failure;
  }

  /**
   * The hook's warden, having first ended what other hosts of a fleet decided to end here:
   * whoever runs on this host first carries that out. If the database is away, the decision
   * that follows fails at once and answers per on_error.
   */
  private Warden hookWarden() throws ConfigException, StoreException {
    Warden warden = wiring.hookWarden();
    try {
      warden.carryOutKicks();
    } catch (StoreException e) {
      warden.giveUpOnDatabase(e);
    }
    return warden;
  }

  /** Whether loginwarden's own failure lets the login go on: per on_error, and root always. */
  static boolean letsIn(OnError onError, String user) {
    return onError == OnError.OPEN || user.equals("root");
  }

  /** The answer to a failure and its ground, for the audit line that reports the failure. */
  static String answer(OnError onError, String user) {
    if (onError == OnError.OPEN) {
      return "let in (on_error = open)";
    }
    return letsIn(onError, user) ? "let in (root, whatever on_error says)"
        : "refused (on_error = closed)";
  }

  /** The admin's choice for failures; from a broken file, the on_error line if readable. */
  private OnError onError() {
    try {
      return wiring.config().onError();
    } catch (ConfigException e) {
      return e.onError();
    }
  }

  /** The per-connection privileged sshd that called pam_exec: the session's identity. */
  private ProcessInfo parentSshd() throws PamInputException {
    Optional<ProcessInfo> info = wiring.processes().get(wiring.processes().parentOfSelf());
    if (info.isEmpty() || info.get().pid() <= 1) {
      throw new PamInputException("no parent process to identify the session by");
    }
    return info.get();
  }

  /** Best effort: the audit trail and log say why, even when the store is what failed. */
  private void report(Warden warden, String user, String reason) {
    try {
      if (warden != null) {
        warden.reportError(user, null, reason);
        return;
      }
      wiring.auditLog().write(new org.loginwarden.core.AuditRecord("error", user, null, reason,
          org.loginwarden.core.AuditRecord.BY_LOGINWARDEN, false));
      LoggerFactory.getLogger(PamRunner.class).error("error {}: {}", user, reason);
    } catch (ConfigException | java.io.IOException | RuntimeException e) {
      // Nowhere left to report to; stderr already has it.
    }
  }
}
