package org.loginwarden.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;

/**
 * A login's time for the database: {@code db_timeout} for all its calls together (connect and
 * every statement), not counting its wait for the user's lock, which {@code lock_timeout}
 * bounds. Socket timeouts bound each read, not their sum; a watchdog cuts the login's
 * connections when the time is up, so no call, however slowly the server answers, outlasts it.
 * The time between calls (reading /proc, waiting for a session to settle) is not the
 * database's and is not counted.
 */
final class LoginBudget {

  private static final long DISARMED = Long.MAX_VALUE;

  private final long budget;
  /** Time used by calls that have ended. Only the login's thread writes it. */
  private long spent;
  private long callStarted;
  private long excludedInCall;
  private int depth;
  /** When the current call's time is up (System.nanoTime()), or DISARMED between calls. */
  private volatile long deadline = DISARMED;
  private volatile boolean expired;
  private final List<Connection> watched = new CopyOnWriteArrayList<>();
  private Thread watchdog;

  LoginBudget(Duration budget) {
    this.budget = budget.toNanos();
  }

  /** A call to the database begins; a StoreException when no time is left for it. */
  void enter(String what) throws StoreException {
    if (depth++ > 0) {
      return;
    }
    long left = budget - spent;
    if (left <= 0 || expired) {
      depth = 0;
      throw new StoreException("cannot " + what + ": no answer within db_timeout");
    }
    callStarted = System.nanoTime();
    excludedInCall = 0;
    arm(callStarted + left);
  }

  /** The call has ended, in whatever way. */
  void exit() {
    if (--depth > 0) {
      return;
    }
    spent += System.nanoTime() - callStarted - excludedInCall;
    arm(DISARMED);
  }

  /** What is left of the current call's time, at least 1 ms. */
  Duration remaining() {
    long d = deadline;
    return Duration.ofNanos(d == DISARMED ? budget - spent
        : Math.max(d - System.nanoTime(), 1_000_000));
  }

  boolean expired() {
    return expired;
  }

  /**
   * Waits for the user's lock, at most {@code limit}, outside the budget: waiting for another
   * login is not waiting for the database.
   */
  <T> T excluding(Duration limit, SqlCall<T> wait) throws SQLException {
    long started = System.nanoTime();
    arm(deadline + limit.toNanos());
    try {
      return wait.run();
    } finally {
      long waited = Math.min(System.nanoTime() - started, limit.toNanos());
      excludedInCall += waited;
      arm(deadline - limit.toNanos() + waited);
    }
  }

  interface SqlCall<T> {
    T run() throws SQLException;
  }

  /** Cuts {@code c} when a call's time is up. */
  synchronized void watch(Connection c) {
    watched.add(c);
    if (watchdog == null) {
      watchdog = new Thread(this::cutWhenDue, "loginwarden-db-budget");
      watchdog.setDaemon(true);
      watchdog.start();
    }
  }

  private void arm(long at) {
    deadline = at;
    Thread t = watchdog;
    if (t != null) {
      LockSupport.unpark(t);
    }
  }

  private void cutWhenDue() {
    while (true) {
      long at = deadline;
      if (at == DISARMED) {
        LockSupport.park(this); // between calls: until the next one arms it
        continue;
      }
      long left = at - System.nanoTime();
      if (left <= 0) {
        break;
      }
      LockSupport.parkNanos(this, left);
    }
    expired = true;
    for (Connection c : watched) {
      try {
        // Closes the socket under a blocked read: the call fails at once.
        c.abort(Runnable::run);
      } catch (SQLException | RuntimeException e) {
        // already closed
      }
    }
  }
}
