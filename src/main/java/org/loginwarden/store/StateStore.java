package org.loginwarden.store;

import java.util.List;
import org.loginwarden.core.UserState;

/**
 * Where user states live. One user's decisions are serialised by {@link #begin}; different
 * users never wait on each other. The file store is the one implementation today; a database
 * store for fleets of hosts will be another.
 */
public interface StateStore {

  /**
   * Takes the user's lock, waiting at most the configured {@code lock_timeout}, and reads the
   * state. The lock is held until the transaction is closed.
   */
  Transaction begin(String user) throws StoreException;

  /**
   * A read without the lock, for fast paths and status. Each part is as of a completed write;
   * the parts may come from two consecutive writes. Decisions read under {@link #begin}.
   */
  UserState peek(String user) throws StoreException;

  /** Every user the store holds anything for, sorted. */
  List<String> users() throws StoreException;

  /** One user's state under that user's lock. */
  interface Transaction extends AutoCloseable {
    UserState state();

    /** Stores the new state durably before returning; an empty state leaves no record. */
    void write(UserState next) throws StoreException;

    /** Releases the lock. */
    @Override
    void close();
  }
}
