package org.loginwarden.app;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.loginwarden.account.AccountException;
import org.loginwarden.account.AccountLocker;
import org.loginwarden.audit.AuditLog;
import org.loginwarden.config.Config;
import org.loginwarden.core.Action;
import org.loginwarden.core.AuditRecord;
import org.loginwarden.core.AuthFailureRules;
import org.loginwarden.core.AuthPolicy;
import org.loginwarden.core.Decider;
import org.loginwarden.core.Decision;
import org.loginwarden.core.Observation;
import org.loginwarden.core.Policy;
import org.loginwarden.core.Presence;
import org.loginwarden.core.SavedAccount;
import org.loginwarden.core.Session;
import org.loginwarden.core.SessionKey;
import org.loginwarden.core.SessionLimits;
import org.loginwarden.core.UserState;
import org.loginwarden.pam.PamEnvironment;
import org.loginwarden.proc.ActivityProbe;
import org.loginwarden.proc.ProcessInfo;
import org.loginwarden.proc.SessionTerminator;
import org.loginwarden.proc.Terminals;
import org.loginwarden.store.FleetStore;
import org.loginwarden.store.StateStore;
import org.loginwarden.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The use cases. Each runs the same steps: read under the user's lock, decide (pure), write,
 * mirror a lock into the account database, unlock; then audit, log one line, and end
 * sessions. Ending comes after the lock is released, so that the ended session's own
 * close_session hook cannot wait on us and nobody queues behind a grace period.
 */
public final class Warden {

  private final DecisionLog decisions;

  /**
   * How long an open waits for a recorded session that is between states (its [priv] sshd
   * runs without a live user-side process: just opening, or closing with a slow close hook)
   * to settle, so that a script's back-to-back logins do not count as concurrent.
   */
  static final Duration SETTLE_LIMIT = Duration.ofSeconds(3);

  /** The answer for PAM: let the login go on or not, and a line for the client (or null). */
  public record Verdict(boolean allow, String message) {
    static final Verdict ALLOW = new Verdict(true, null);
  }

  /** One user as {@code status} shows it. */
  public record UserStatus(UserState state, Map<SessionKey, Presence> presence,
      List<Instant> recentViolations, Policy policy, SessionLimits limits, boolean exempt,
      List<Instant> recentAuthFailures, AuthPolicy authPolicy) {

    /** A user whose failed logins are not counted. */
    public UserStatus(UserState state, Map<SessionKey, Presence> presence,
        List<Instant> recentViolations, Policy policy, SessionLimits limits, boolean exempt) {
      this(state, presence, recentViolations, policy, limits, exempt, List.of(), AuthPolicy.OFF);
    }
  }

  private final Config config;
  private final StateStore store;
  private final SessionTerminator terminator;
  private final AccountLocker locker;
  private final AuditLog audit;
  private final GroupResolver groups;
  private final SessionEnding ending;
  private final ActivityProbe probe;
  private final Terminals terminals;
  private final Clock clock;
  /** Null when notifications are off: then no notification class is ever loaded. */
  private final Notifier notifier;
  private final Decider decider = new Decider();
  /** When this process's previous sweep started; null before the first. */
  private Instant previousPass;
  /** Fleet mode: the shared store (null with the file store), and this host's part. */
  private final FleetStore fleet;
  private final String localHost;
  private final ShadowMirror mirror;
  private final StateStore hostStore;
  /** Fleet mode: audit lines waiting on this host for the fleet's trail. */
  private final PendingAudit pendingAudit;
  /** Fleet mode, in a hook: why the database could not be reached at the start, or null. */
  private StoreException unreachable;
  /**
   * Fleet mode: the hosts' heartbeat ages, read when first needed: once per run of a hook or
   * an admin command, once per pass of the watcher (not once per user of the pass).
   */
  private Map<String, Duration> hostAges;

  public Warden(Config config, StateStore store, SessionTerminator terminator,
      AccountLocker locker, AuditLog audit, GroupResolver groups, SessionEnding ending,
      ActivityProbe probe, Terminals terminals, Clock clock) {
    this(config, store, terminator, locker, audit, groups, ending, probe, terminals, clock, null);
  }

  /** With {@code notifier} (or null) told of every audited decision. */
  public Warden(Config config, StateStore store, SessionTerminator terminator,
      AccountLocker locker, AuditLog audit, GroupResolver groups, SessionEnding ending,
      ActivityProbe probe, Terminals terminals, Clock clock, Notifier notifier) {
    this(config, store, terminator, locker, audit, groups, ending, probe, terminals, clock,
        notifier, DecisionLog.SLF4J);
  }

  /** Likewise, with each decision's human line written to {@code decisions}. */
  public Warden(Config config, StateStore store, SessionTerminator terminator,
      AccountLocker locker, AuditLog audit, GroupResolver groups, SessionEnding ending,
      ActivityProbe probe, Terminals terminals, Clock clock, Notifier notifier,
      DecisionLog decisions) {
    this(config, store, terminator, locker, audit, groups, ending, probe, terminals, clock,
        notifier, decisions, null);
  }

  /**
   * Likewise, for fleet mode when {@code store} is a {@link FleetStore}: {@code hostStore} is
   * this host's own file store, which holds what this host alone knows: the /etc/shadow values
   * a mirrored fleet lock replaced ({@link ShadowMirror}), and the sessions let in while the
   * database could not be reached, until they are reconciled into it.
   */
  public Warden(Config config, StateStore store, SessionTerminator terminator,
      AccountLocker locker, AuditLog audit, GroupResolver groups, SessionEnding ending,
      ActivityProbe probe, Terminals terminals, Clock clock, Notifier notifier,
      DecisionLog decisions, StateStore hostStore) {
    this.fleet = store instanceof FleetStore f ? f : null;
    this.localHost = fleet == null ? null : fleet.hostId();
    this.hostStore = fleet == null ? null : hostStore;
    this.mirror = fleet == null ? null : new ShadowMirror(hostStore, locker);
    this.pendingAudit = fleet == null ? null
        : new PendingAudit(config.stateDir().resolve("fleet-audit"), config.lockTimeout());
    this.decisions = decisions;
    this.notifier = notifier;
    this.config = config;
    this.store = store;
    this.terminator = terminator;
    this.locker = locker;
    this.audit = audit;
    this.groups = groups;
    this.ending = ending;
    this.probe = probe;
    this.terminals = terminals;
    this.clock = clock;
  }

  /** open_session: count the login, refuse and end sessions over the limit. */
  public Verdict open(PamEnvironment env, ProcessInfo priv) throws StoreException {
    String user = env.user();
    Session incoming = sessionOf(env, priv);
    List<String> userGroups = groupsOf(user);
    if (config.isExempt(user, userGroups)) {
      record(List.of(new AuditRecord("open", user, incoming, "exempt",
          AuditRecord.BY_LOGINWARDEN, false)));
      return Verdict.ALLOW;
    }
    Policy policy = config.policyFor(user, userGroups);
    awaitSettled(user);
    Decision d;
    try {
      d = transact(user,
          state -> decider.open(state, incoming, presenceOf(state), policy, clock.instant()));
    } catch (StoreException e) {
      if (fleet == null || config.onError() != org.loginwarden.config.OnError.OPEN) {
        throw e;
      }
      return openDuringOutage(user, incoming, e);
    }
    return new Verdict(d.allow(), d.message());
  }

  /**
   * Fleet mode with {@code on_error = open}, the database out of reach: the login goes on, and
   * this host records it, so that once the database is back {@link #reconcileOutage} counts it
   * as if it had just arrived, and a second login made during the outage is a violation then.
   */
  private Verdict openDuringOutage(String user, Session incoming, StoreException cause)
      throws StoreException {
    try (StateStore.Transaction tx = hostStore.begin(user)) {
      List<Session> kept = new ArrayList<>(tx.state().sessions());
      kept.add(incoming);
      tx.write(tx.state().withSessions(kept));
    }
    record(List.of(new AuditRecord("error", user, incoming,
        "cannot reach the fleet database: " + cause.getMessage() + "; login let in "
            + "(on_error = open), recorded on this host until the database is back",
        AuditRecord.BY_LOGINWARDEN, false)));
    return Verdict.ALLOW;
  }

  /** close_session: forget the session. */
  public Verdict close(PamEnvironment env, ProcessInfo priv) throws StoreException {
    String user = env.user();
    SessionKey key = new SessionKey(localHost, priv.pid(), priv.startTime());
    if (config.isExempt(user, groupsOf(user))) {
      record(List.of(new AuditRecord("close", user, sessionOf(env, priv), "exempt",
          AuditRecord.BY_LOGINWARDEN, false)));
      return Verdict.ALLOW;
    }
    if (hostStore != null) {
      forgetLetInDuringOutage(user, key);
    }
    // Sessions never recorded (exempt, refused, other services) need no lock at all.
    UserState seen = peekForFastPath(user);
    if (seen != null && seen.sessions().stream().noneMatch(s -> s.key().equals(key))) {
      return Verdict.ALLOW;
    }
    transact(user, state -> decider.close(state, key, clock.instant()));
    return Verdict.ALLOW;
  }

  /** account: refuse a locked user, whichever way they authenticated. */
  public Verdict account(PamEnvironment env) throws StoreException {
    String user = env.user();
    UserState seen = peekForFastPath(user);
    if (seen != null && seen.lock() == null) {
      return Verdict.ALLOW;
    }
    List<String> userGroups = groupsOf(user);
    if (config.isExempt(user, userGroups)) {
      return Verdict.ALLOW;
    }
    if (seen != null && AuthFailureRules.sparesConsole(seen.lock(),
        config.authPolicyFor(user, userGroups), env.remoteHost(), env.tty())) {
      record(List.of(new AuditRecord("console", user, null, "console login passes the "
          + "failed-login lockout (console_exempt)", AuditRecord.BY_LOGINWARDEN, false)));
      return Verdict.ALLOW;
    }
    Policy policy = config.policyFor(user, userGroups);
    Decision d = transact(user, state -> decider.account(state, policy, clock.instant()));
    return new Verdict(d.allow(), d.message());
  }

  /** Ends all of a user's sessions now. Returns a line for the admin. */
  public String kick(String user, String by) throws StoreException {
    return transact(user, state -> decider.kick(state, presenceOf(state), by, clock.instant()))
        .message();
  }

  /** Locks an account until unlocked. */
  public String lock(String user, String by) throws StoreException {
    return transact(user, state -> decider.lock(state, by, clock.instant())).message();
  }

  /** Lifts a lock, restores the account database, clears violations and failed logins. */
  public String unlock(String user, String by) throws StoreException {
    return transact(user, state -> decider.unlock(state, by, clock.instant())).message();
  }

  /** What status shows of one user: read without the lock, nothing written. */
  public UserStatus status(String user) throws StoreException {
    UserState raw = store.peek(user);
    Map<SessionKey, Presence> presence = presenceOf(raw);
    Instant now = clock.instant();
    UserState state = decider.refresh(raw, presence, now).next();
    List<String> userGroups = groupsOf(user);
    Policy policy = config.policyFor(user, userGroups);
    SessionLimits limits = config.limitsFor(user, userGroups);
    AuthPolicy authPolicy = config.authPolicyFor(user, userGroups);
    // Use as of now, as the next sweep will see it; nothing is written.
    Map<SessionKey, Observation> seen = probe.observe(local(state.sessions()));
    state = state.withSessions(state.sessions().stream()
        .map(s -> seen.containsKey(s.key())
            ? s.withActivity(Decider.activity(s, seen.get(s.key()), limits, now)) : s)
        .toList());
    return new UserStatus(state, presence,
        Decider.recentViolations(state.violations(), policy.violationWindow(), now), policy,
        limits, config.isExempt(user, userGroups),
        AuthFailureRules.recent(state.authFailures(), authPolicy.window(), now), authPolicy);
  }

  /** What one sweep did, for the watcher's log and tests. */
  public record SweepResult(int users, int sessions, int ended, int failed) {}

  /**
   * One pass over every user: lift expired locks, drop dead sessions, end sessions past their
   * time limits, warn those near them. /proc is read once for all sessions; each user is then
   * decided under that user's lock, so hooks running at the same moment are never lost; the
   * sessions to end are ended together at the end of the pass.
   */
  public SweepResult sweep() throws StoreException {
    Instant started = clock.instant();
    hostAges = null;
    List<String> users = fleet == null ? store.users() : fleet.sweepable();
    List<String> toSweep = new ArrayList<>();
    List<Session> all = new ArrayList<>();
    for (String user : users) {
      UserState s = peekForFastPath(user);
      // Unreadable (null): sweep it anyway, so that the locked read reports and moves it aside.
      if (s == null || !s.sessions().isEmpty() || s.lock() != null) {
        toSweep.add(user);
        all.addAll(s == null ? List.of() : local(s.sessions()));
      }
    }
    if (mirror != null) {
      // A lock lifted while this host's watcher was away left this host's mirror behind.
      for (String user : mirror.mirrored()) {
        if (!toSweep.contains(user)) {
          reconcileMirror(user, peekForFastPath(user));
        }
      }
    }
    Map<SessionKey, Observation> seen = probe.observe(all);
    CollectingEnding toEnd = new CollectingEnding();
    int failed = 0;
    for (String user : toSweep) {
      List<String> userGroups = groupsOf(user);
      boolean exempt = config.isExempt(user, userGroups);
      SessionLimits limits = config.limitsFor(user, userGroups);
      try {
        transact(user, state -> decider.sweep(state, presenceOf(state), seen, limits, exempt,
            config.dryRun(), clock.instant(), previousPass), toEnd);
      } catch (StoreException e) {
        failed++;
        reportError(user, null, "sweep: " + e.getMessage());
      }
    }
    ending.end(toEnd.sessions, null);
    previousPass = started;
    return new SweepResult(toSweep.size(), all.size(), toEnd.sessions.size(), failed);
  }

  /** Fleet mode: a session let in during an outage ended before it was reconciled. */
  private void forgetLetInDuringOutage(String user, SessionKey key) throws StoreException {
    UserState local = hostStore.peek(user);
    if (local.sessions().stream().anyMatch(s -> s.key().equals(key))) {
      try (StateStore.Transaction tx = hostStore.begin(user)) {
        tx.write(tx.state().withSessions(tx.state().sessions().stream()
            .filter(s -> !s.key().equals(key)).toList()));
      }
    }
  }

  /**
   * Fleet mode, once the database answers again: each session this host let in during the
   * outage is counted as if it arrived now. A user who logged in twice meanwhile, here and
   * elsewhere, is a violation now, with every session of it ended per on_violation. Returns
   * how many sessions were reconciled.
   */
  public int reconcileOutage() throws StoreException {
    if (hostStore == null) {
      return 0;
    }
    hostAges = null;
    int done = 0;
    for (String user : hostStore.users()) {
      UserState local = hostStore.peek(user);
      for (Session s : local.sessions()) {
        if (terminator.presence(s) != Presence.GONE) {
          List<String> userGroups = groupsOf(user);
          Policy policy = config.policyFor(user, userGroups);
          Decision d = transact(user, state -> decider.open(state, s, presenceOf(state), policy,
              clock.instant()));
          if (!d.allow()) {
            record(List.of(new AuditRecord("reconcile", user, s, "let in during the database "
                + "outage; over the limit now that it is counted", AuditRecord.BY_LOGINWARDEN,
                false)));
          }
        }
        forgetLetInDuringOutage(user, s.key());
        done++;
      }
    }
    return done;
  }

  /**
   * Fleet mode: ends this host's sessions that another host decided to end. The watcher runs
   * it when told, and every hook when it starts, so a kick reaches a host whose watcher is
   * down with its next login. Returns how many sessions it began to end.
   */
  public int carryOutKicks() throws StoreException {
    if (fleet == null) {
      return 0;
    }
    List<Session> toEnd = new ArrayList<>();
    for (String user : fleet.takeKicks()) {
      UserState s = peekForFastPath(user);
      if (s != null) {
        toEnd.addAll(local(s.sessions()).stream().filter(x -> x.ending() != null).toList());
      }
    }
    if (!toEnd.isEmpty()) {
      ending.end(toEnd, null);
    }
    return toEnd.size();
  }

  /**
   * A hook found the fleet database out of reach: one wait for it per login is enough, so
   * every later call of this run fails at once with the same cause and follows on_error.
   */
  public void giveUpOnDatabase(StoreException cause) {
    unreachable = cause;
  }

  /**
   * Fleet mode: adds the audit lines this host kept while the database was away to the fleet's
   * trail. Returns how many went.
   */
  public int sendPendingAudit() throws StoreException {
    if (pendingAudit == null) {
      return 0;
    }
    try {
      return pendingAudit.send(fleet);
    } catch (IOException e) {
      throw new StoreException("cannot send the audit lines kept for the fleet: "
          + e.getMessage());
    }
  }

  /** Fleet mode: tells the fleet this host's watcher is alive. */
  public void heartbeat() throws StoreException {
    if (fleet != null) {
      fleet.heartbeat();
    }
  }

  /** Fleet mode: waits at most {@code limit} for news for this host; false at once otherwise. */
  public boolean awaitNews(Duration limit) throws StoreException {
    return fleet != null && fleet.awaitNews(limit);
  }

  /**
   * Fleet mode: brings this host's /etc/shadow in line with every fleet lock now, after news
   * of a lock or unlock elsewhere.
   */
  public void mirrorLocks() throws StoreException {
    if (mirror == null) {
      return;
    }
    java.util.Set<String> users = new java.util.TreeSet<>(mirror.mirrored());
    users.addAll(fleet.sweepable());
    for (String user : users) {
      reconcileMirror(user, peekForFastPath(user));
    }
  }

  private void reconcileMirror(String user, UserState fleetState) {
    if (fleetState == null) {
      return; // unreadable: the sweep reports it
    }
    try {
      record(mirror.reconcile(user, fleetState.lock(), clock.instant()));
    } catch (StoreException e) {
      reportError(user, null, "cannot mirror the lock into this host: " + e.getMessage());
    }
  }

  /**
   * Fleet mode: audit lines go to the fleet's one trail as well as this host's file; while the
   * database is away they wait on this host, and the watcher sends them once it is back.
   */
  private void shareAudit(List<String> lines) {
    if (lines.isEmpty()) {
      return;
    }
    if (unreachable == null) {
      try {
        fleet.appendAudit(lines);
        return;
      } catch (StoreException e) {
        // kept below
      }
    }
    try {
      pendingAudit.add(lines);
    } catch (IOException e) {
      log().error("cannot keep {} audit line(s) for the fleet's trail (this host's audit log "
          + "has them): {}", lines.size(), e.getMessage());
    }
  }

  /** Gathers the sessions a pass decides to end, to end them all at once afterwards. */
  private static final class CollectingEnding implements SessionEnding {
    final List<Session> sessions = new ArrayList<>();

    @Override
    public void end(List<Session> more, Session refused) {
      sessions.addAll(more);
    }
  }

  /** Every user the store holds anything for. */
  public List<String> users() throws StoreException {
    return store.users();
  }

  /** Records loginwarden's own failure in the audit trail and the log. */
  public void reportError(String user, Session session, String reason) {
    record(List.of(new AuditRecord("error", user, session, reason, AuditRecord.BY_LOGINWARDEN,
        false)));
  }

  Decision transact(String user, Function<UserState, Decision> decide)
      throws StoreException {
    return transact(user, decide, ending);
  }

  private Decision transact(String user, Function<UserState, Decision> decide,
      SessionEnding endWith) throws StoreException {
    Decision d;
    List<AuditRecord> problems = new ArrayList<>();
    if (unreachable != null) {
      throw unreachable;
    }
    try (StateStore.Transaction tx = store.begin(user)) {
      d = decide.apply(tx.state());
      UserState next = d.next();
      if (fleet != null) {
        // The shared record holds no host's /etc/shadow values: each host mirrors for itself.
        tx.write(next);
      } else if (d.has(Action.LockAccount.class)) {
        // Save what the account database holds before changing it: a crash in between
        // then leaves a record from which unlock restores the same values.
        SavedAccount saved = null;
        try {
          saved = locker.read(user);
        } catch (AccountException e) {
          problems.add(problem(user, e.getMessage()));
        }
        if (saved != null) {
          next = next.withLock(next.lock().withSaved(saved));
        }
        tx.write(next);
        if (saved != null) {
          try {
            locker.lock(user);
          } catch (AccountException e) {
            problems.add(problem(user, e.getMessage()));
          }
        }
      } else {
        tx.write(next);
      }
      for (Action a : fleet != null ? List.<Action>of() : d.actions()) {
        if (a instanceof Action.RestoreAccount r) {
          try {
            locker.restore(user, r.saved());
          } catch (AccountException e) {
            problems.add(problem(user, e.getMessage()));
          }
        }
      }
    }
    if (mirror != null) {
      try {
        problems.addAll(mirror.reconcile(user, d.next().lock(), clock.instant()));
      } catch (StoreException e) {
        problems.add(problem(user, "cannot mirror the lock into this host: " + e.getMessage()));
      }
    }
    List<AuditRecord> all = new ArrayList<>(d.audit());
    all.addAll(problems);
    record(all);

    List<Session> toEnd = new ArrayList<>();
    Session refused = null;
    for (Action a : d.actions()) {
      if (a instanceof Action.EndSessions e) {
        toEnd.addAll(e.sessions());
      } else if (a instanceof Action.EndConnection c) {
        refused = c.refused();
      }
    }
    toEnd = local(toEnd);
    if (!toEnd.isEmpty() || refused != null) {
      endWith.end(toEnd, refused);
    }
    for (Action a : d.actions()) {
      if (a instanceof Action.Warn w && !terminals.write(w.pty(), w.line())) {
        log().warn("cannot warn {} on {}: the terminal did not take the line", user, w.pty());
      }
    }
    return d;
  }

  /**
   * An unlocked read for the common case that needs no lock; null when the files cannot be
   * read, so that the locked path runs and moves a corrupt file aside and reports it.
   */
  UserState peekForFastPath(String user) {
    if (unreachable != null) {
      return null;
    }
    try {
      return store.peek(user);
    } catch (StoreException e) {
      return null;
    }
  }

  Session sessionOf(PamEnvironment env, ProcessInfo priv) {
    return new Session(priv.pid(), priv.startTime(), priv.auditSession(), env.service(),
        env.remoteHost(), env.remotePort(), env.tty(), env.authMethod(), env.authKey(),
        clock.instant(), null, null, localHost);
  }

  private static AuditRecord problem(String user, String reason) {
    return new AuditRecord("error", user, null, reason, AuditRecord.BY_LOGINWARDEN, false);
  }

  /** Waits, bounded, until no recorded session of the user is between opening and running. */
  private void awaitSettled(String user) {
    long until = System.nanoTime() + SETTLE_LIMIT.toNanos();
    if (unreachable != null) {
      return;
    }
    try {
      while (presenceOf(store.peek(user)).containsValue(Presence.SETTLING)
          && System.nanoTime() - until < 0) {
        Thread.sleep(25);
      }
    } catch (StoreException e) {
      // The locked read that follows reports it.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private Map<SessionKey, Presence> presenceOf(UserState state) {
    Map<SessionKey, Presence> out = new HashMap<>();
    for (Session s : state.sessions()) {
      if (!isLocal(s)) {
        out.put(s.key(), remotePresence(s));
        continue;
      }
      Presence p = terminator.presence(s);
      // A session being ended is kept, not counting, while any of its processes is left:
      // its [priv] sshd goes first on SIGTERM, and what ignores SIGTERM must still be killed,
      // by the next sweep if the process ending it was itself killed.
      if (s.ending() != null && p == Presence.GONE && !terminator.members(s).isEmpty()) {
        p = Presence.CLOSING;
      }
      out.put(s.key(), p);
    }
    return out;
  }

  /** Whether this host can see the session's processes: always, with the file store. */
  private boolean isLocal(Session s) {
    return java.util.Objects.equals(s.host(), localHost);
  }

  /**
   * Another host's session counts while that host's watcher reports; its processes are that
   * host's to judge. A host silent past host_timeout is presumed dead and its sessions, kept
   * for it to clear when it returns, do not count: no dead host blocks anyone's login.
   */
  private Presence remotePresence(Session s) {
    if (hostAges == null) {
      try {
        hostAges = fleet.heartbeatAges();
      } catch (StoreException e) {
        // Read moments ago under the same connection; if that fails now, count the session:
        // over-counting refuses one login, under-counting lets a second one in.
        return Presence.LIVE;
      }
    }
    Duration age = hostAges.get(s.host());
    return age != null && age.compareTo(config.fleet().hostTimeout()) < 0
        ? Presence.LIVE : Presence.UNREACHABLE;
  }

  /** Only sessions of this host can be ended here; the store tells the others' hosts. */
  private List<Session> local(List<Session> sessions) {
    return fleet == null ? sessions : sessions.stream().filter(this::isLocal).toList();
  }

  List<String> groupsOf(String user) {
    if (!config.needsGroups()) {
      return List.of();
    }
    try {
      return groups.groupsOf(user);
    } catch (IOException e) {
      // Not exempt and no group limits: the safe reading when groups cannot be known.
      log().warn("cannot resolve groups of {}: {}", user, e.getMessage());
      return List.of();
    }
  }

  /** The logger for rare warnings; taken when needed, as it starts slf4j. */
  private static Logger log() {
    return LoggerFactory.getLogger(Warden.class);
  }

  /** Writes each record to the audit trail and one human line per decision to the log. */
  void record(List<AuditRecord> records) {
    if (records.isEmpty()) {
      return;
    }
    StringBuilder line = new StringBuilder();
    List<String> written = new ArrayList<>();
    for (AuditRecord r : records) {
      try {
        written.add(audit.write(r));
      } catch (IOException e) {
        // An audit failure does not change a decision already stored; it is logged loudly.
        log().error("cannot write audit log {}: {}", audit.file(), e.getMessage());
      }
      if (line.length() > 0) {
        line.append("; ");
      }
      line.append(r.event()).append(' ').append(r.user());
      if (r.session() != null) {
        line.append(" pid ").append(r.session().pid());
        if (r.session().remoteHost() != null) {
          line.append(" from ").append(r.session().remoteHost());
        }
      }
      line.append(": ").append(r.reason());
      if (r.dryRun()) {
        line.append(" (dry run)");
      }
    }
    decisions.write(records.stream().anyMatch(r -> r.event().equals("error")),
        line.toString());
    if (fleet != null) {
      shareAudit(written);
    }
    if (notifier != null) {
      notifier.notify(records);
    }
  }
}
