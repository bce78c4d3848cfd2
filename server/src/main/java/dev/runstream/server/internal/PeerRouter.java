package dev.runstream.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runstream.schemas.config.Settings;
import dev.runstream.server.wandb.translate.WandbBodies;
import dev.runstream.server.wandb.translate.WandbPayloadException;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collections;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Several servers behind one load balancer: a request that concerns a run goes to the run's owner
 * ({@link RunOwners}), so that one server alone writes each run whichever server the client
 * reached. A server that does not own the run forwards the request (method, path, query, headers
 * with the API key, body) to the owner and answers with the owner's status, headers and body.
 *
 * <table>
 *   <caption>What is routed</caption>
 *   <tr><th>request</th><th>the run</th></tr>
 *   <tr><td>GraphQL {@code UpsertBucket}, {@code RunResumeStatus}</td>
 *       <td>the key's team, {@code project} (or {@code uncategorized}), {@code name}</td></tr>
 *   <tr><td>GraphQL {@code CreateRunFiles}</td><td>team, {@code project}, {@code run}</td></tr>
 *   <tr><td>GraphQL {@code NotifyScriptableRunAlert}</td>
 *       <td>team, {@code projectName}, {@code runName}</td></tr>
 *   <tr><td>{@code POST /files/<entity>/<project>/<run>/file_stream}</td>
 *       <td>team, project, run of the path</td></tr>
 *   <tr><td>{@code PUT /upload/<team>/<project>/<run>/<name>}</td>
 *       <td>the path's (the URL the owner signed)</td></tr>
 *   <tr><td>anything else ({@code Viewer}, {@code ServerFeaturesQuery}, a request with an unknown
 *       key or a malformed body, the web page)</td><td>answered here</td></tr>
 * </table>
 *
 * <p>A forwarded request carries {@value #FORWARDED_BY} (the forwarding server's URL) and is never
 * forwarded again: a server that gets one for a run it does not own answers 503, as the servers
 * disagree about their peers. When the owner does not answer, the request gets 503 naming the
 * owner; the wandb client retries 5xx answers. Thread-safe.
 */
public final class PeerRouter {
  /** The header a forwarded request carries: the URL of the server that forwarded it. */
  public static final String FORWARDED_BY = "X-Runstream-Forwarded-By";

  /** How long the owner may take to answer a forwarded request, {@value} seconds. */
  public static final int FORWARD_TIMEOUT_SECONDS = 120;

  static final String FORWARDED_HOST = "X-Forwarded-Host";
  static final String FORWARDED_PROTO = "X-Forwarded-Proto";

  private static final String BASE_URL = "runstream.baseUrl";
  private static final Logger LOG = LoggerFactory.getLogger(PeerRouter.class);

  // Hop-by-hop headers, and those java.net.http sets itself (it refuses to be given them).
  private static final Set<String> NOT_FORWARDED =
      Set.of(
          "connection",
          "content-length",
          "date",
          "expect",
          "from",
          "host",
          "keep-alive",
          "proxy-authenticate",
          "proxy-authorization",
          "proxy-connection",
          "te",
          "trailer",
          "transfer-encoding",
          "upgrade",
          "via",
          "warning",
          FORWARDED_BY.toLowerCase(Locale.ROOT),
          FORWARDED_HOST.toLowerCase(Locale.ROOT),
          FORWARDED_PROTO.toLowerCase(Locale.ROOT));
  private static final Set<String> NOT_RETURNED =
      Set.of("connection", "content-length", "date", "keep-alive", "server", "transfer-encoding");

  private final URI self;
  private final RunOwners owners;
  private final Function<Context, String> team;
  private final HttpClient http;

  /**
   * @param self this server's URL among {@code owners}' peers
   * @param owners who owns which run
   * @param team the team of a request's API key; throws {@link WandbException} for no or an unknown
   *     key (such a request is answered here, which refuses it)
   */
  public PeerRouter(URI self, RunOwners owners, Function<Context, String> team) {
    this.self = Objects.requireNonNull(self, "self");
    this.owners = Objects.requireNonNull(owners, "owners");
    this.team = Objects.requireNonNull(team, "team");
    if (!owners.peers().contains(self)) {
      throw new IllegalArgumentException(self + " is not one of the peers " + owners.peers());
    }
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  /** Routes the run requests of {@code c} before its handlers see them. */
  public void register(JavalinConfig c) {
    c.routes.before("/graphql", this::graphQl);
    c.routes.before("/files/{entity}/{project}/{run}/file_stream", this::fileStream);
    c.routes.before("/upload/{team}/{project}/{run}/<name>", this::upload);
  }

  /**
   * The server as the client reached it, for the URLs it hands out (uploads): with peers, the load
   * balancer's or forwarding peer's {@value #FORWARDED_HOST} and {@value #FORWARDED_PROTO} where
   * given, so that the client keeps going through the load balancer; else the request's own scheme
   * and {@code Host}.
   */
  public static String baseUrl(Context ctx) {
    String routed = ctx.attribute(BASE_URL);
    return routed != null ? routed : ctx.scheme() + "://" + ctx.host();
  }

  private static String clientBaseUrl(Context ctx) {
    return clientProto(ctx) + "://" + clientHost(ctx);
  }

  private static String clientHost(Context ctx) {
    String host = first(ctx.header(FORWARDED_HOST));
    return host != null ? host : ctx.host();
  }

  private static String clientProto(Context ctx) {
    String proto = first(ctx.header(FORWARDED_PROTO));
    return proto != null ? proto : ctx.scheme();
  }

  // A header a chain of proxies appended to holds the client's value first.
  private static String first(String header) {
    if (header == null) {
      return null;
    }
    String value = header.split(",", 2)[0].strip();
    return value.isEmpty() ? null : value;
  }

  private void graphQl(Context ctx) {
    if (!"POST".equals(ctx.method().name())) {
      return;
    }
    ctx.attribute(BASE_URL, clientBaseUrl(ctx));
    String team = teamOrNull(ctx);
    if (team == null) {
      return;
    }
    RunKey key;
    try {
      key = graphQlRun(team, ctx.body());
    } catch (WandbException | WandbPayloadException malformed) {
      return; // refused here, with the handler's message
    }
    if (key != null) {
      route(ctx, key);
    }
  }

  private void fileStream(Context ctx) {
    String team = teamOrNull(ctx);
    if (team != null && "POST".equals(ctx.method().name())) {
      route(ctx, new RunKey(team, ctx.pathParam("project"), ctx.pathParam("run")));
    }
  }

  private void upload(Context ctx) {
    if ("PUT".equals(ctx.method().name())) {
      route(ctx, new RunKey(ctx.pathParam("team"), ctx.pathParam("project"), ctx.pathParam("run")));
    }
  }

  /**
   * The run a GraphQL request names, or null when it names none (answered by any server).
   *
   * @throws WandbException or WandbPayloadException for a body that is not a GraphQL request
   */
  static RunKey graphQlRun(String team, String body) {
    ObjectNode request = WandbBodies.object(body, "GraphQL request");
    JsonNode query = request.get("query");
    if (query == null || !query.isTextual()) {
      return null;
    }
    JsonNode vars = request.path("variables");
    return switch (GraphQlApi.operationName(request, query.asText())) {
      case "UpsertBucket", "RunResumeStatus" -> key(team, vars, "project", "name", true);
      case "CreateRunFiles" -> key(team, vars, "project", "run", false);
      case "NotifyScriptableRunAlert" -> key(team, vars, "projectName", "runName", false);
      default -> null;
    };
  }

  private static RunKey key(
      String team, JsonNode vars, String projectField, String runField, boolean defaultProject) {
    String project = text(vars, projectField);
    String run = text(vars, runField);
    if (project == null && defaultProject) {
      project = "uncategorized"; // as GraphQlApi names a run logged without a project
    }
    // Without a run the request is refused, which any server does alike.
    return project == null || run == null ? null : new RunKey(team, project, run);
  }

  private static String text(JsonNode vars, String field) {
    JsonNode v = vars.get(field);
    return v == null || !v.isTextual() || v.asText().isBlank() ? null : v.asText();
  }

  private String teamOrNull(Context ctx) {
    try {
      return team.apply(ctx);
    } catch (WandbException unknownKey) {
      return null;
    }
  }

  private void route(Context ctx, RunKey key) {
    URI owner = owners.owner(key);
    if (owner.equals(self)) {
      return;
    }
    String by = ctx.header(FORWARDED_BY);
    if (by != null) {
      throw new WandbException(
          503,
          "runstream servers disagree about their peers: "
              + by
              + " forwarded run "
              + key
              + " to "
              + self
              + ", whose "
              + Settings.SERVER_PEERS.name()
              + " makes "
              + owner
              + " its owner; give every server the same "
              + Settings.SERVER_PEERS.name());
    }
    forward(ctx, owner, key);
    ctx.skipRemainingHandlers();
  }

  private void forward(Context ctx, URI owner, RunKey key) {
    String query = ctx.queryString();
    URI target = URI.create(owner + ctx.path() + (query == null ? "" : "?" + query));
    HttpRequest.Builder request =
        HttpRequest.newBuilder(target)
            .timeout(Duration.ofSeconds(FORWARD_TIMEOUT_SECONDS))
            .method(ctx.method().name(), HttpRequest.BodyPublishers.ofByteArray(ctx.bodyAsBytes()));
    for (String name : Collections.list(ctx.req().getHeaderNames())) {
      if (!NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT))) {
        for (String value : Collections.list(ctx.req().getHeaders(name))) {
          request.header(name, value);
        }
      }
    }
    request.header(FORWARDED_BY, self.toString());
    request.header(FORWARDED_HOST, clientHost(ctx));
    request.header(FORWARDED_PROTO, clientProto(ctx));
    HttpResponse<byte[]> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw ownerDown(owner, key, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ownerDown(owner, key, e);
    }
    LOG.debug(
        "{} {} of run {} forwarded to {}: {}",
        ctx.method(),
        ctx.path(),
        key,
        owner,
        response.statusCode());
    ctx.status(response.statusCode());
    response
        .headers()
        .map()
        .forEach(
            (name, values) -> {
              if (!NOT_RETURNED.contains(name.toLowerCase(Locale.ROOT)) && !name.startsWith(":")) {
                values.forEach(value -> ctx.res().addHeader(name, value));
              }
            });
    ctx.result(response.body());
  }

  private static WandbException ownerDown(URI owner, RunKey key, Exception e) {
    return new WandbException(
        503,
        "run "
            + key
            + " is written by the runstream server "
            + owner
            + " (one of "
            + Settings.SERVER_PEERS.name()
            + "), which did not answer ("
            + e
            + "); try again when it is back",
        e);
  }
}
