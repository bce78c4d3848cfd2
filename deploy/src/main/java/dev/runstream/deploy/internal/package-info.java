/**
 * Implementation of the local stack launcher: process supervision, configuration generation,
 * readiness probes.
 *
 * <p><b>Not public API.</b> Everything in this package may change without notice; use {@link
 * dev.runstream.deploy.LocalStack} and {@link dev.runstream.deploy.ManagedServer} instead.
 */
package dev.runstream.deploy.internal;
