package org.loginwarden.core;

import java.time.Instant;

/**
 * What the sweep last saw of a session's use, kept in the session record so that a restarted
 * watcher or a one-shot {@code sweep} continues where the last pass stopped.
 *
 * @param lastActive when the user last typed (pty) or the session's processes last moved bytes
 * @param ioBytes    bytes read plus written by the session's own processes at the last pass
 * @param pty        the session's terminal, e.g. /dev/pts/3, or null for a session without one
 * @param warned     when the user was warned of the coming end, or null
 */
public record Activity(Instant lastActive, long ioBytes, String pty, Instant warned) {}
