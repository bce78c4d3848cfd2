package dev.runstream.deploy.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/** Chooses free loopback ports. */
public final class Ports {
  private Ports() {}

  /**
   * Returns {@code count} distinct ports that were free on 127.0.0.1 a moment ago. All sockets are
   * held open until every port is chosen, so the ports differ from each other; another process may
   * still take one before the server binds it, which the server's startup then reports.
   *
   * @param count how many ports
   * @return the ports
   */
  public static int[] freeLoopbackPorts(int count) {
    if (count < 1) {
      throw new IllegalArgumentException("count must be positive: " + count);
    }
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      int[] ports = new int[count];
      for (int i = 0; i < count; i++) {
        ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        // The server that gets this port binds it right after we release it.
        socket.setReuseAddress(true);
        sockets.add(socket);
        ports[i] = socket.getLocalPort();
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind a free port on 127.0.0.1", e);
    } finally {
      for (ServerSocket socket : sockets) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // Closing a listening socket does not fail in a way we could act on.
        }
      }
    }
  }

  /**
   * Returns one free loopback port.
   *
   * @return the port
   */
  public static int freeLoopbackPort() {
    return freeLoopbackPorts(1)[0];
  }
}
