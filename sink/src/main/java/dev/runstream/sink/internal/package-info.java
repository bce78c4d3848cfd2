/**
 * Implementation of the runstream sink: RowBinary encoding, SQL escaping, migrations, the consumer
 * loop, retries and error classification.
 *
 * <p><b>Not public API.</b> Anything in this package may change or disappear in any release; use
 * the types in {@code dev.runstream.sink}.
 */
package dev.runstream.sink.internal;
