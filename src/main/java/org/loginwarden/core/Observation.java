package org.loginwarden.core;

import java.time.Instant;

/**
 * What /proc says now about how a session is used, gathered by the sweep before deciding.
 *
 * @param pty           the session's pseudo-terminal, or null
 * @param lastInput     the pty's last input (its atime), or null
 * @param ioBytes       bytes read plus written by the session's own processes (not sshd's)
 * @param sshdOnly      the session has no process but sshd's ({@code ssh -N}): ioBytes are
 *                      sshd's, keepalives included
 * @param foregroundJob a command runs in the pty's foreground (not the shell waiting)
 */
public record Observation(
    String pty, Instant lastInput, long ioBytes, boolean sshdOnly, boolean foregroundJob) {}
