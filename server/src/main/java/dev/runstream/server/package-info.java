/**
 * runstream's HTTP server: the W&amp;B-compatible endpoints a {@code wandb} client logs through,
 * turned into runstream records on Kafka.
 */
package dev.runstream.server;
