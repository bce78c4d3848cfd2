package dev.runstream.deploy.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

/** One-shot readiness checks. Each returns normally when the server answers, or throws. */
public final class Probes {
  // HTTP/1.1 only: ClickHouse 18.16 does not understand the h2c upgrade the default client sends.
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  private Probes() {}

  /**
   * Sends a GET and requires status 200.
   *
   * @param url the URL; user info ({@code http://user:pass@host}) becomes basic auth
   * @return the response body
   * @throws IOException on connection failure or another status
   * @throws InterruptedException if interrupted
   */
  public static String httpGet200(String url) throws IOException, InterruptedException {
    return httpGet200(url, Map.of());
  }

  /**
   * Sends a GET with {@code headers} (such as ClickHouse's {@code X-ClickHouse-User} and {@code
   * X-ClickHouse-Key}, which keep credentials out of the URL) and requires status 200.
   *
   * @param url the URL; user info ({@code http://user:pass@host}) becomes basic auth
   * @param headers request headers
   * @return the response body
   * @throws IOException on connection failure or another status
   * @throws InterruptedException if interrupted
   */
  public static String httpGet200(String url, Map<String, String> headers)
      throws IOException, InterruptedException {
    URI uri = URI.create(url);
    HttpRequest.Builder request = HttpRequest.newBuilder(withoutUserInfo(uri));
    request.timeout(Duration.ofSeconds(5)).GET();
    headers.forEach(request::header);
    if (uri.getRawUserInfo() != null) {
      String token =
          Base64.getEncoder().encodeToString(uri.getUserInfo().getBytes(StandardCharsets.UTF_8));
      request.header("Authorization", "Basic " + token);
    }
    HttpResponse<String> response =
        HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      String body = response.body();
      throw new IOException(
          "GET "
              + withoutUserInfo(uri)
              + " answered "
              + response.statusCode()
              + ": "
              + body.substring(0, Math.min(300, body.length())));
    }
    return response.body();
  }

  private static URI withoutUserInfo(URI uri) {
    if (uri.getRawUserInfo() == null) {
      return uri;
    }
    String s = uri.toString();
    return URI.create(s.replace(uri.getRawUserInfo() + "@", ""));
  }

  /**
   * Opens and closes a TCP connection.
   *
   * @param host host
   * @param port port
   * @throws IOException if nothing accepts
   */
  public static void tcpConnect(String host, int port) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 1000);
    }
  }

  /**
   * Creates an admin client with short timeouts for probing. The caller closes it.
   *
   * @param bootstrap bootstrap servers
   * @return the client
   */
  public static Admin kafkaAdmin(String bootstrap) {
    return kafkaAdmin(bootstrap, Map.of());
  }

  /**
   * Creates an admin client with short timeouts for probing, logged in with {@code security} (SASL
   * properties). The caller closes it.
   *
   * @param bootstrap bootstrap servers
   * @param security client properties added to the probe's own
   * @return the client
   */
  public static Admin kafkaAdmin(String bootstrap, Map<String, ?> security) {
    Map<String, Object> props = new HashMap<>(security);
    props.putAll(
        Map.of(
            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            AdminClientConfig.CLIENT_ID_CONFIG, "runstream-stack-probe",
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000,
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000,
            AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500));
    return Admin.create(props);
  }

  /**
   * Requires the cluster to describe itself with at least one broker.
   *
   * @param admin a client from {@link #kafkaAdmin}
   * @throws IOException if it does not answer within 5 s
   * @throws InterruptedException if interrupted
   */
  public static void kafkaDescribeCluster(Admin admin) throws IOException, InterruptedException {
    try {
      int brokers =
          admin
              .describeCluster(new DescribeClusterOptions().timeoutMs(5000))
              .nodes()
              .get(6, TimeUnit.SECONDS)
              .size();
      if (brokers == 0) {
        throw new IOException("the cluster has no broker yet");
      }
    } catch (ExecutionException e) {
      throw new IOException(e.getCause().toString(), e.getCause());
    } catch (TimeoutException e) {
      throw new IOException("describeCluster timed out", e);
    }
  }
}
