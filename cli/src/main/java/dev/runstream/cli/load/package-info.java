/**
 * The parts of {@code runstream load} that need no server: pacing, latency and stage bookkeeping,
 * and the search for the highest sustainable rate. Internal to the CLI.
 */
package dev.runstream.cli.load;
