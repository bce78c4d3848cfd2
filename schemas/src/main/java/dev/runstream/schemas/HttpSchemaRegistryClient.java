package dev.runstream.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * A client of the Confluent Schema Registry REST API (also served by Apicurio Registry under {@code
 * /apis/ccompat/v7}), with caches in both directions: a schema registered once under a subject is
 * never sent again, and a schema fetched by id is never fetched again.
 *
 * <p>Thread-safe. Only cache misses block on the network, each bounded by {@link #DEFAULT_TIMEOUT}.
 */
public final class HttpSchemaRegistryClient implements SchemaRegistry {
  /** Timeout of each HTTP request: {@value} seconds. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  // A register answered 409 is looked up and tried again this many times in all.
  private static final int MAX_REGISTER_ATTEMPTS = 3;
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String baseUrl;
  private final HttpClient http;
  private final Duration timeout;
  private final Map<String, Map<Schema, Integer>> idsBySubject = new ConcurrentHashMap<>();
  private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();

  /**
   * @param baseUrl the registry's Confluent-compatible base, e.g. {@code
   *     http://127.0.0.1:8081/apis/ccompat/v7}
   */
  public HttpSchemaRegistryClient(String baseUrl) {
    this(baseUrl, DEFAULT_TIMEOUT);
  }

  public HttpSchemaRegistryClient(String baseUrl, Duration timeout) {
    Objects.requireNonNull(baseUrl, "baseUrl");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    if (!baseUrl.startsWith("http://") && !baseUrl.startsWith("https://")) {
      throw new IllegalArgumentException(
          "schema registry URL must start with http:// or https://: " + baseUrl);
    }
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  /** The base URL requests go to. */
  public String baseUrl() {
    return baseUrl;
  }

  @Override
  public int register(String subject, Schema schema) {
    Map<Schema, Integer> ids =
        idsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>());
    Integer cached = ids.get(schema);
    if (cached != null) {
      return cached;
    }
    int id = registerOrLookUp(subject, schema);
    ids.put(schema, id);
    schemasById.putIfAbsent(id, schema);
    return id;
  }

  /**
   * Registers {@code schema}, or finds its id when the registry answers 409. Apicurio answers 409
   * ("artifact already exists") to all but one of several clients that create a subject's first
   * version at the same moment, as runs started together do; Confluent's registry answers 409 for
   * an incompatible schema. Asking whether the schema is registered under the subject tells the two
   * apart: a schema that is there has an id, one that is not was refused.
   */
  private int registerOrLookUp(String subject, Schema schema) {
    String body = schemaBody(schema);
    SchemaRegistryException conflict = null;
    for (int attempt = 0; attempt < MAX_REGISTER_ATTEMPTS; attempt++) {
      try {
        return idOf(
            send("POST", "/subjects/" + encode(subject) + "/versions", body, subject), subject);
      } catch (SchemaRegistryException e) {
        if (e.status() != 409) {
          throw e;
        }
        conflict = e;
      }
      try {
        return idOf(send("POST", "/subjects/" + encode(subject), body, subject), subject);
      } catch (SchemaRegistryException e) {
        if (e.status() != 404) {
          throw e;
        }
        // Not registered yet: the other client's version may still be on its way in; try again.
      }
    }
    throw conflict;
  }

  private int idOf(JsonNode response, String subject) {
    int id = response.path("id").asInt(-1);
    if (id < 0) {
      throw new SchemaRegistryException(
          "registry at " + baseUrl + " answered without an id for subject " + subject, 200);
    }
    return id;
  }

  @Override
  public Schema schemaById(int id) {
    Schema cached = schemasById.get(id);
    if (cached != null) {
      return cached;
    }
    JsonNode response = send("GET", "/schemas/ids/" + id, null, "schema id " + id);
    Schema schema = new Schema.Parser().parse(response.path("schema").asText());
    Schema raced = schemasById.putIfAbsent(id, schema);
    return raced != null ? raced : schema;
  }

  @Override
  public boolean isCompatible(String subject, Schema schema) {
    try {
      JsonNode response =
          send(
              "POST",
              "/compatibility/subjects/" + encode(subject) + "/versions/latest",
              schemaBody(schema),
              subject);
      return response.path("is_compatible").asBoolean(false);
    } catch (SchemaRegistryException e) {
      if (e.status() == 404) {
        return true; // no version yet: anything is compatible with nothing
      }
      throw e;
    }
  }

  private static String schemaBody(Schema schema) {
    ObjectNode body = JSON.createObjectNode();
    body.put("schema", schema.toString());
    body.put("schemaType", "AVRO");
    return body.toString();
  }

  private JsonNode send(String method, String path, String body, String what) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(baseUrl + path))
            .timeout(timeout)
            .header("Accept", CONTENT_TYPE + ", application/json");
    if (body != null) {
      request.header("Content-Type", CONTENT_TYPE);
      request.method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    } else {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new SchemaRegistryException(
          "schema registry at " + baseUrl + " did not answer (" + what + "): " + e, -1, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SchemaRegistryException("interrupted while asking the schema registry", -1, e);
    }
    if (response.statusCode() / 100 != 2) {
      throw new SchemaRegistryException(
          "schema registry at "
              + baseUrl
              + " refused "
              + method
              + " "
              + path
              + " ("
              + what
              + "): HTTP "
              + response.statusCode()
              + " "
              + response.body(),
          response.statusCode());
    }
    try {
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new SchemaRegistryException(
          "schema registry at " + baseUrl + " answered with invalid JSON: " + response.body(),
          response.statusCode(),
          e);
    }
  }

  private static String encode(String subject) {
    return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
