package dev.runstream.deploy.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PortsTest {

  @Test
  void choosesDistinctPortsThatCanBeBoundOnLoopback() throws Exception {
    int[] ports = Ports.freeLoopbackPorts(5);

    assertThat(Arrays.stream(ports).distinct().count()).isEqualTo(5);
    for (int port : ports) {
      assertThat(port).isBetween(1024, 65535);
      try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        assertThat(socket.getLocalPort()).isEqualTo(port);
      }
    }
  }

  @Test
  void rejectsANonPositiveCount() {
    assertThatThrownBy(() -> Ports.freeLoopbackPorts(0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
