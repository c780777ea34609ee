package org.loginwarden.core;

/** A process identity that survives pid reuse: the pid and its start time. */
public record SessionKey(long pid, long startTime) {}
