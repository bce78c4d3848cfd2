/**
 * The server's internals: GraphQL operations, file_stream, uploads, and the runs they write. Not
 * public API.
 */
package dev.runstream.server.internal;
