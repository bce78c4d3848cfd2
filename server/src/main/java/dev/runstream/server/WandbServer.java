package dev.runstream.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runstream.query.RunQueries;
import dev.runstream.schemas.config.Settings;
import dev.runstream.server.internal.FileStore;
import dev.runstream.server.internal.FileStreamApi;
import dev.runstream.server.internal.GraphQlApi;
import dev.runstream.server.internal.PeerRouter;
import dev.runstream.server.internal.RunKey;
import dev.runstream.server.internal.RunOwners;
import dev.runstream.server.internal.RunRegistry;
import dev.runstream.server.internal.WandbException;
import dev.runstream.server.wandb.translate.WandbPayloadException;
import dev.runstream.server.web.WebApp;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code runstream server}: an HTTP server that speaks the part of W&amp;B's protocol the {@code
 * wandb} Python client uses to log runs, so that a training script logs into runstream unchanged:
 *
 * <pre>
 * WANDB_BASE_URL=http://&lt;server&gt;:8080 WANDB_API_KEY=&lt;a key of RUNSTREAM_SERVER_API_KEYS_FILE&gt; python train.py
 * </pre>
 *
 * <p>Each wandb run becomes one SDK run (project from the client, team from the API key, run id
 * wandb's), kept open across requests and finished by the client's {@code complete}. What the
 * server answers and refuses is written down in {@code server/PROTOCOL.md}.
 *
 * <p>With ClickHouse configured ({@link ServerConfig#clickHouse()}) it also serves the web page
 * under {@code /web/} and its JSON API under {@code /api/}, each request limited to the runs of its
 * API key's team; the key comes as HTTP Basic auth (any user, the key as password), so a browser
 * asks for it.
 *
 * <p>With {@link ServerConfig#peers()} several servers share the work behind one load balancer:
 * each run is written by one of them, and the others forward its requests there ({@code
 * internal.PeerRouter}).
 *
 * <p>{@link #start} blocks until the server listens; {@link #close} stops it. Thread-safe.
 */
public final class WandbServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WandbServer.class);

  private final ServerConfig config;
  private final RunRegistry runs;
  private final FileStore files;
  private final GraphQlApi graphQl;
  private final FileStreamApi fileStream;
  private final Javalin app;
  private final RunQueries queries;
  private final Map<String, RunQueries> teamQueries = new ConcurrentHashMap<>();

  private WandbServer(ServerConfig config) {
    this.config = config;
    this.files = new FileStore(config.dataDir());
    this.runs = new RunRegistry(config, files);
    this.graphQl = new GraphQlApi(runs, files);
    this.fileStream = new FileStreamApi(runs, files);
    this.queries =
        config
            .clickHouse()
            .map(ch -> RunQueries.connect(ch.url(), ch.user(), ch.password(), ch.database()))
            .orElse(null);
    this.app =
        Javalin.create(
            c -> {
              c.http.maxRequestSize = config.maxBodyBytes();
              c.jetty.host = config.host();
              c.jetty.port = config.port();
              c.startup.showJavalinBanner = false;
              c.routes.post("/graphql", this::graphQl);
              c.routes.post("/files/{entity}/{project}/{run}/file_stream", this::fileStream);
              c.routes.put("/upload/{team}/{project}/{run}/<name>", this::upload);
              // The client's own telemetry (OpenTelemetry) is not runstream's business.
              c.routes.post("/sdk/otel/<path>", this::otel);
              web(c);
              config
                  .advertisedUrl()
                  .ifPresent(
                      self ->
                          new PeerRouter(self, new RunOwners(config.peers()), this::team)
                              .register(c));
              c.routes.exception(WandbException.class, WandbServer::refused);
              c.routes.exception(
                  WandbPayloadException.class,
                  (e, ctx) -> refused(new WandbException(400, e.getMessage(), e), ctx));
              c.routes.exception(
                  HttpResponseException.class,
                  (e, ctx) -> refused(new WandbException(e.getStatus(), e.getMessage()), ctx));
              c.routes.exception(Exception.class, WandbServer::failed);
              c.routes.error(404, WandbServer::notFound);
            });
  }

  /**
   * Starts a server; blocks until it listens.
   *
   * @throws RuntimeException if the port cannot be bound
   */
  public static WandbServer start(ServerConfig config) {
    Objects.requireNonNull(config, "config");
    WandbServer server = new WandbServer(config);
    server.app.start();
    LOG.info("runstream server listening on {}:{} ({})", config.host(), server.port(), config);
    return server;
  }

  /** The port the server listens on (the one picked when the configuration said 0). */
  public int port() {
    return app.port();
  }

  /** How many runs are open in this server now (for tests and measurements). */
  int openRuns() {
    return runs.openRuns();
  }

  /** Stops accepting requests; open runs stay resumable from their journals. Idempotent. */
  @Override
  public void close() {
    app.stop();
    runs.close();
    if (queries != null) {
      queries.close();
    }
  }

  /** The web page, and its API behind the API keys; or 503 naming the setting that is missing. */
  private void web(JavalinConfig c) {
    c.routes.get("/", ctx -> ctx.redirect("/web/"));
    if (queries == null) {
      String message =
          "this runstream server shows no runs: set "
              + Settings.CLICKHOUSE_URL.name()
              + " (and CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, CLICKHOUSE_DATABASE if not the"
              + " defaults) to the ClickHouse the sink writes to";
      for (String path : new String[] {"/web", "/web/<rest>", "/api/<rest>"}) {
        c.routes.get(path, ctx -> ctx.status(503).json(Map.of("error", message)));
      }
      return;
    }
    // The page's files and its WebJars hold no data: only the API needs a key.
    c.routes.before("/api/<rest>", this::requireWebKey);
    WebApp.register(
        c,
        ctx -> {
          String team = ctx.attribute(WEB_TEAM);
          return team == null ? null : teamQueries.computeIfAbsent(team, queries::forTeam);
        });
  }

  private static final String WEB_TEAM = "runstream.team";

  /**
   * Lets a request with a known key through, its team noted; refuses others with 401 and a Basic
   * challenge, which makes a browser ask for the key.
   */
  private void requireWebKey(Context ctx) {
    String team;
    try {
      team = team(ctx);
    } catch (WandbException e) {
      ctx.header("WWW-Authenticate", "Basic realm=\"runstream\", charset=\"UTF-8\"")
          .header("Cache-Control", "no-store")
          .status(401)
          .json(
              Map.of(
                  "error",
                  e.getMessage()
                      + "; a browser asks for it: any user name, the API key as password"));
      ctx.skipRemainingHandlers();
      return;
    }
    ctx.attribute(WEB_TEAM, team);
  }

  private String team(Context ctx) {
    String header = ctx.header("Authorization");
    String key = null;
    if (header != null && header.regionMatches(true, 0, "Basic ", 0, 6)) {
      try {
        String decoded =
            new String(
                Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        int colon = decoded.indexOf(':');
        key = colon < 0 ? decoded : decoded.substring(colon + 1);
      } catch (IllegalArgumentException e) {
        key = null;
      }
    }
    String team = key == null ? null : config.apiKeys().get(key);
    if (team == null) {
      throw new WandbException(
          401,
          key == null
              ? "no API key: set WANDB_API_KEY to a key of this runstream server"
              : "invalid API key: this runstream server does not know it (ask its operator for a"
                  + " key of your team)");
    }
    return team;
  }

  private void graphQl(Context ctx) {
    String team = team(ctx);
    ObjectNode response = graphQl.answer(team, ctx.body(), baseUrl(ctx));
    ctx.json(response);
  }

  private void fileStream(Context ctx) {
    String team = team(ctx);
    ctx.json(fileStream.post(team, ctx.pathParam("project"), ctx.pathParam("run"), ctx.body()));
  }

  private void upload(Context ctx) throws Exception {
    RunKey key = new RunKey(ctx.pathParam("team"), ctx.pathParam("project"), ctx.pathParam("run"));
    String name = ctx.pathParam("name");
    if (!files.verify(key, name, ctx.queryParam("sig"))) {
      throw new WandbException(
          403, "upload URL not signed by this server: ask CreateRunFiles again");
    }
    long length = ctx.contentLength();
    if (length > config.maxBodyBytes()) {
      throw new WandbException(413, "file larger than " + config.maxBodyBytes() + " bytes");
    }
    files.put(key, name, ctx.bodyInputStream());
    ctx.status(HttpStatus.OK);
  }

  private void otel(Context ctx) {
    ctx.status(HttpStatus.NOT_FOUND)
        .json(Map.of("error", "runstream server does not collect client telemetry"));
  }

  private static String baseUrl(Context ctx) {
    return PeerRouter.baseUrl(ctx);
  }

  private static void refused(WandbException e, Context ctx) {
    if (e.status() >= 500) {
      LOG.warn("{} {}: {}", ctx.method(), ctx.path(), e.getMessage(), e);
    } else {
      LOG.debug("{} {} refused ({}): {}", ctx.method(), ctx.path(), e.status(), e.getMessage());
    }
    ctx.status(e.status()).json(GraphQlApi.error(e.getMessage()));
  }

  private static void failed(Exception e, Context ctx) {
    LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
    ctx.status(500).json(GraphQlApi.error("runstream server failed: " + e));
  }

  private static void notFound(Context ctx) {
    if (ctx.path().startsWith("/api/")
        && ctx.result() != null
        && ctx.result().startsWith("{\"error\"")) {
      return; // the web API's own answer: which project or run does not exist
    }
    if (ctx.result() == null || ctx.result().isEmpty() || !ctx.path().startsWith("/sdk/otel")) {
      ctx.json(
          GraphQlApi.error(
              "runstream server has no "
                  + ctx.method()
                  + " "
                  + ctx.path()
                  + " (see server/PROTOCOL.md)"));
    }
  }
}
