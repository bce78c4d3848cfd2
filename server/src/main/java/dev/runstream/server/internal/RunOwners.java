package dev.runstream.server.internal;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Objects;

/**
 * Which of several servers writes a run: rendezvous (highest-random-weight) hashing of the run's
 * team, project and id with each server's URL; the server with the highest weight owns the run.
 *
 * <p>Only one server may ever write a run: each numbers the records it sends with its own sequence
 * numbers, which the processor and the sink deduplicate by, so two writers would count points
 * twice. The choice depends on the run and the set of URLs alone (not their order, not the server
 * asking), so servers given the same list agree without talking to each other; adding or removing
 * one server moves only the runs it gains or held. Immutable and thread-safe.
 */
public final class RunOwners {
  private final List<URI> peers;

  /**
   * @param peers the servers' base URLs, in one written form (see {@code Peers#url}), at least one
   */
  public RunOwners(List<URI> peers) {
    this.peers = List.copyOf(Objects.requireNonNull(peers, "peers"));
    if (this.peers.isEmpty()) {
      throw new IllegalArgumentException("peers must name at least one server");
    }
  }

  /** The server that writes {@code key}'s run. */
  public URI owner(RunKey key) {
    URI best = null;
    long bestWeight = 0;
    for (URI peer : peers) {
      long weight = weight(peer, key);
      // Ties (astronomically rare) go to the smaller URL, so every server breaks them alike.
      if (best == null
          || Long.compareUnsigned(weight, bestWeight) > 0
          || weight == bestWeight && peer.toString().compareTo(best.toString()) < 0) {
        best = peer;
        bestWeight = weight;
      }
    }
    return best;
  }

  /** The servers, as given. */
  public List<URI> peers() {
    return peers;
  }

  // SHA-256 rather than String.hashCode: the weights of one run across peers must be independent,
  // and the same on every JVM.
  static long weight(URI peer, RunKey key) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("no SHA-256 in this JVM", e);
    }
    // Each part ends in NUL, so that parts cannot run into each other ("ab"+"c" vs "a"+"bc").
    for (String part : new String[] {peer.toString(), key.team(), key.project(), key.runId()}) {
      sha.update(part.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
    }
    return ByteBuffer.wrap(sha.digest()).getLong();
  }
}
