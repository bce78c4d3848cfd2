package dev.runstream.query.internal;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.command.CommandResponse;
import com.clickhouse.client.api.insert.InsertResponse;
import com.clickhouse.client.api.query.QueryResponse;
import com.clickhouse.client.api.query.QuerySettings;
import com.clickhouse.data.ClickHouseFormat;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * runstream's only door to ClickHouse (the sink writes through it, the query module reads), limited
 * to what a 18.16 server understands over HTTP: statements without results, {@code JSONEachRow}
 * reads (the {@code FORMAT} clause goes into the SQL text, because that server ignores the format
 * the client sends beside it) and {@code RowBinary} inserts.
 *
 * <p>Thread-safe: the underlying client pools connections.
 */
public final class ClickHouseHttp implements AutoCloseable {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);
  // A query naming thousands of runs (IN lists) is longer than the server's default 256 KiB.
  private static final String MAX_QUERY_SIZE = Integer.toString(16 << 20);

  private final Client client;
  private final boolean ownsClient;
  private final Duration timeout;

  public ClickHouseHttp(Client client, boolean ownsClient) {
    this(client, ownsClient, DEFAULT_TIMEOUT);
  }

  /** {@code timeout} bounds each request (the client's socket timeout bounds each read). */
  public ClickHouseHttp(Client client, boolean ownsClient, Duration timeout) {
    this.client = Objects.requireNonNull(client, "client");
    this.ownsClient = ownsClient;
    this.timeout = Objects.requireNonNull(timeout, "timeout");
  }

  /**
   * A client for {@code url} that a 18.16 server accepts: credentials in the {@code
   * X-ClickHouse-User} and {@code X-ClickHouse-Key} headers rather than HTTP basic auth (never in
   * the URL, where proxies and server logs would keep them), no compression (that server speaks
   * only its own LZ4 framing over HTTP) and no retries inside the client, because the sink's {@code
   * Retry} owns retrying.
   */
  public static Client newClient(String url, String user, String password) {
    return newClient(url, user, password, Duration.ofSeconds(60));
  }

  /** {@link #newClient(String, String, String, Duration)} named "runstream-sink" to the server. */
  public static Client newClient(String url, String user, String password, Duration socketTimeout) {
    return newClient(url, user, password, socketTimeout, "runstream-sink");
  }

  /**
   * {@link #newClient(String, String, String)} waiting up to {@code socketTimeout} for answers,
   * named {@code clientName} in the server's query log.
   */
  public static Client newClient(
      String url, String user, String password, Duration socketTimeout, String clientName) {
    return new Client.Builder()
        .addEndpoint(url)
        .setUsername(user)
        .setPassword(password)
        .useHTTPBasicAuth(false)
        .compressServerResponse(false)
        .compressClientRequest(false)
        .setMaxRetries(0)
        .setConnectTimeout(5, ChronoUnit.SECONDS)
        .setSocketTimeout(socketTimeout.toMillis(), ChronoUnit.MILLIS)
        .setClientName(clientName)
        .build();
  }

  /** Runs a statement that returns no rows (DDL, {@code INSERT ... VALUES}). Blocks. */
  public void execute(String sql) {
    try (CommandResponse ignored = await(client.execute(sql))) {
      // nothing to read
    } catch (Exception e) {
      throw rethrow(e);
    }
  }

  /**
   * Runs {@code select} (without a FORMAT clause) and returns every row as a JSON object. 64-bit
   * integers arrive as strings and non-finite floats as {@code "nan"}, {@code "inf"}, {@code
   * "-inf"}; read them with {@link Json}. Blocks; the whole answer is held in memory.
   */
  public List<JsonNode> queryJson(String select) {
    QuerySettings settings =
        new QuerySettings()
            .serverSetting("output_format_json_quote_denormals", "1")
            .serverSetting("max_query_size", MAX_QUERY_SIZE);
    try (QueryResponse response = await(client.query(select + "\nFORMAT JSONEachRow", settings));
        BufferedReader reader =
            new BufferedReader(
                new InputStreamReader(response.getInputStream(), StandardCharsets.UTF_8))) {
      List<JsonNode> rows = new ArrayList<>();
      String line;
      while ((line = reader.readLine()) != null) {
        if (!line.isBlank()) {
          rows.add(MAPPER.readTree(line));
        }
      }
      return rows;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read ClickHouse answer: " + e.getMessage(), e);
    } catch (Exception e) {
      throw rethrow(e);
    }
  }

  /** Reads a RowBinary answer; may throw {@link IOException}. */
  @FunctionalInterface
  public interface RowBinaryHandler {
    void read(RowBinaryReader reader) throws IOException;
  }

  /**
   * Runs {@code select} (without a FORMAT clause) and hands its RowBinary answer to {@code handler}
   * as it streams in; the caller knows the column types (cast them in the SELECT). Blocks.
   */
  public void queryRowBinary(String select, RowBinaryHandler handler) {
    QuerySettings settings = new QuerySettings().serverSetting("max_query_size", MAX_QUERY_SIZE);
    try (QueryResponse response = await(client.query(select + "\nFORMAT RowBinary", settings))) {
      handler.read(new RowBinaryReader(response.getInputStream()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read ClickHouse answer: " + e.getMessage(), e);
    } catch (Exception e) {
      throw rethrow(e);
    }
  }

  /**
   * Inserts RowBinary-encoded rows into {@code table} (database-qualified). {@code columns} names
   * the columns in the rows' order; null means every column in the table's order. Blocks.
   */
  public void insertRowBinary(String table, List<String> columns, byte[] rows) {
    try (InsertResponse ignored =
        await(
            columns == null
                ? client.insert(table, new ByteArrayInputStream(rows), ClickHouseFormat.RowBinary)
                : client.insert(
                    table, columns, new ByteArrayInputStream(rows), ClickHouseFormat.RowBinary))) {
      // the response carries only statistics
    } catch (Exception e) {
      throw rethrow(e);
    }
  }

  /** The client underneath, e.g. for another door over the same connections. */
  public Client client() {
    return client;
  }

  @Override
  public void close() {
    if (ownsClient) {
      client.close();
    }
  }

  private <T> T await(java.util.concurrent.CompletableFuture<T> future) throws Exception {
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    } catch (TimeoutException e) {
      future.cancel(true);
      throw e;
    }
  }

  private static RuntimeException rethrow(Exception e) {
    if (e instanceof InterruptedException) {
      Thread.currentThread().interrupt();
      return new IllegalStateException("interrupted while talking to ClickHouse", e);
    }
    if (e instanceof RuntimeException re) {
      return re;
    }
    return new IllegalStateException("ClickHouse request failed: " + e, e);
  }
}
