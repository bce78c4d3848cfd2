/**
 * Implementation of the runstream query module: the ClickHouse HTTP client, SQL quoting, answer
 * readers and the table layout. The sink shares them to write the tables these read, so that
 * runstream has one client and one idea of its tables.
 *
 * <p><b>Not public API.</b> Anything in this package may change or disappear in any release; use
 * the types in {@code dev.runstream.query}.
 */
package dev.runstream.query.internal;
