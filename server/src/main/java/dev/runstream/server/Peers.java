package dev.runstream.server;

import dev.runstream.schemas.config.ConfigProperties;
import dev.runstream.schemas.config.Setting;
import dev.runstream.schemas.config.Settings;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The servers that share the work behind one load balancer ({@link ServerConfig#peers()}): every
 * server's base URL, this one's included, and which of them this one is. Each run is written by one
 * of them, picked from the run alone, so every server must be given the same list.
 *
 * <p>URLs are kept in the one form every server compares ({@link #url}). Immutable.
 *
 * @param self this server's URL, one of {@code all}
 * @param all every server's URL, no one twice
 */
public record Peers(URI self, List<URI> all) {
  /**
   * Checks and normalises the URLs.
   *
   * @throws IllegalArgumentException when a URL is not a base URL ({@link #url}), one is listed
   *     twice, or {@code self} is not among {@code all}
   */
  public Peers {
    Objects.requireNonNull(self, "self");
    Objects.requireNonNull(all, "all");
    List<URI> list = new ArrayList<>();
    for (URI peer : all) {
      URI p = url(Objects.requireNonNull(peer, "peer").toString());
      if (list.contains(p)) {
        throw new IllegalArgumentException(p + " is listed twice");
      }
      list.add(p);
    }
    self = url(self.toString());
    if (!list.contains(self)) {
      throw new IllegalArgumentException(self + " is not one of the peers " + list);
    }
    all = List.copyOf(list);
  }

  /**
   * Reads {@code RUNSTREAM_SERVER_PEERS} and {@code RUNSTREAM_SERVER_ADVERTISED_URL}: empty when
   * neither is set.
   *
   * @throws IllegalArgumentException naming the variable that is wrong, or missing when only the
   *     other is set
   */
  public static Optional<Peers> fromEnv(ConfigProperties env) {
    Optional<List<URI>> peers = env.get(Settings.SERVER_PEERS, Peers::list);
    Optional<URI> self = env.get(Settings.SERVER_ADVERTISED_URL, Peers::url);
    if (peers.isEmpty() && self.isEmpty()) {
      return Optional.empty();
    }
    if (peers.isEmpty() || self.isEmpty()) {
      Setting missing = peers.isEmpty() ? Settings.SERVER_PEERS : Settings.SERVER_ADVERTISED_URL;
      throw new IllegalArgumentException(
          missing.name()
              + " must be set too: "
              + Settings.SERVER_PEERS.name()
              + " lists every server behind the load balancer, "
              + Settings.SERVER_ADVERTISED_URL.name()
              + " says which of them this one is");
    }
    if (!peers.get().contains(self.get())) {
      throw new IllegalArgumentException(
          Settings.SERVER_ADVERTISED_URL.name()
              + "="
              + self.get()
              + " is not one of "
              + Settings.SERVER_PEERS.name()
              + "="
              + peers.get()
              + ": write this server's URL the same way in both");
    }
    return Optional.of(new Peers(self.get(), peers.get()));
  }

  /**
   * A server's base URL in the one form every server compares: {@code http(s)://host:port} (scheme
   * and host in lower case, the port always written, no trailing slash).
   *
   * @throws IllegalArgumentException for anything but an http or https URL with a host and no path
   *     beyond {@code /}, query, fragment or user
   */
  public static URI url(String value) {
    URI uri;
    try {
      uri = new URI(value.strip());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("'" + value + "' is not a URL: " + e.getMessage(), e);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    String path = uri.getRawPath();
    if (!scheme.equals("http") && !scheme.equals("https")
        || uri.getHost() == null
        || uri.getRawQuery() != null
        || uri.getRawFragment() != null
        || uri.getRawUserInfo() != null
        || !(path == null || path.isEmpty() || path.equals("/"))) {
      throw new IllegalArgumentException(
          "'" + value + "' is not a server's base URL: expected http://host:port (or https)");
    }
    int port = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
    return URI.create(scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + ":" + port);
  }

  private static List<URI> list(String value) {
    List<URI> list = new ArrayList<>();
    for (String item : value.split(",")) {
      if (!item.isBlank()) {
        URI peer = url(item);
        if (list.contains(peer)) {
          throw new IllegalArgumentException(peer + " is listed twice");
        }
        list.add(peer);
      }
    }
    return list;
  }
}
