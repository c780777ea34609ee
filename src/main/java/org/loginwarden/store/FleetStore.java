package org.loginwarden.store;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A store shared by a fleet of hosts: the user states of {@link StateStore}, serialised
 * fleet-wide, plus what the hosts tell each other. Every session carries the id of the host
 * it runs on; only that host can see or signal its processes, so a decision that ends a
 * session of another host is carried out by that host, told through this store.
 */
public interface FleetStore extends StateStore, AutoCloseable {

  /**
   * The users a host's sweep must look at: those with a session on this host, or a lock.
   * Everyone else's state changes only when they log in.
   */
  default List<String> sweepable() throws StoreException {
    return users();
  }

  /** This host's id, as its sessions carry it. */
  String hostId();

  /** Records that this host's watcher is alive, as of the database's clock. */
  void heartbeat() throws StoreException;

  /**
   * How long ago each host last reported, by the database's clock (no skew between hosts).
   * A host that never reported is absent.
   */
  Map<String, Duration> heartbeatAges() throws StoreException;

  /**
   * The users with sessions on this host that another host decided to end, removed from the
   * store as they are handed out: the caller ends what it finds of them locally.
   */
  List<String> takeKicks() throws StoreException;

  /**
   * Waits at most {@code limit} for news for this host (a kick for it, or a lock or unlock
   * anywhere); true when some came. Needs a connection of its own, kept between calls.
   */
  boolean awaitNews(Duration limit) throws StoreException;

  /**
   * Adds audit lines (JSON objects, as this host's audit file holds them) to the fleet's one
   * trail. A line this host already added is not added again, so a batch whose outcome is
   * unknown can be sent again.
   */
  void appendAudit(List<String> lines) throws StoreException;

  /**
   * Reads the fleet's trail, oldest first: lines of {@code user} (null: everyone) timed from
   * {@code since} (inclusive) to {@code until} (exclusive), each null for no bound.
   */
  void readAudit(String user, Instant since, Instant until, Consumer<String> line)
      throws StoreException;

  /** Lets go of the database. */
  @Override
  void close();
}
