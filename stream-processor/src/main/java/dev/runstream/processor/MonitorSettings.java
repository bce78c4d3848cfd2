package dev.runstream.processor;

import dev.runstream.schemas.Topics;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How the topology watches runs: publishing, liveness timeouts, state retention, smoothing and the
 * detectors. Immutable and thread-safe; build with {@link #builder()}, whose unset values are the
 * {@code DEFAULT_*} constants. The environment variable of {@link ProcessorConfig#fromEnv} that
 * sets each value is named in its setter, and validation messages name it too.
 *
 * @param publishInterval how often changed summaries are published
 * @param livenessCheckInterval how often (wall clock) runs are checked for silence and expiry
 * @param unresponsiveAfter silence (no heartbeat nor metric) after which a running run is
 *     unresponsive
 * @param stalledAfter time without a metric, while the run still sends heartbeats, after which a
 *     stalled alert is raised
 * @param crashedAfter silence after which a run is crashed and a critical alert is raised
 * @param stateRetention how long the state of an ended (finished, failed or crashed) run is kept
 *     after its last record
 * @param emaAlpha weight of a new point in the exponentially weighted mean and variance
 * @param detectors which detector settings apply to which project and metric
 * @param team the team that owns the topics read, if set: summaries and alerts carry it whatever
 *     team (W&B's entity) a record names, because where teams share a cluster a topic prefix and
 *     its ACLs say whose a record is, never its payload; unset, they carry the records' own team
 */
public record MonitorSettings(
    Duration publishInterval,
    Duration livenessCheckInterval,
    Duration unresponsiveAfter,
    Duration stalledAfter,
    Duration crashedAfter,
    Duration stateRetention,
    double emaAlpha,
    DetectorRules detectors,
    Optional<String> team) {

  /** Default publish interval of changed summaries: 1 second. */
  public static final Duration DEFAULT_PUBLISH_INTERVAL = Duration.ofSeconds(1);

  /** Default liveness check interval: 5 seconds. */
  public static final Duration DEFAULT_LIVENESS_CHECK_INTERVAL = Duration.ofSeconds(5);

  /** Default silence before a run is unresponsive: 2 minutes. */
  public static final Duration DEFAULT_UNRESPONSIVE_AFTER = Duration.ofMinutes(2);

  /** Default time without metrics before a stalled alert: 10 minutes. */
  public static final Duration DEFAULT_STALLED_AFTER = Duration.ofMinutes(10);

  /** Default silence before a run is crashed: 10 minutes. */
  public static final Duration DEFAULT_CRASHED_AFTER = Duration.ofMinutes(10);

  /** Default retention of an ended run's state: 7 days. */
  public static final Duration DEFAULT_STATE_RETENTION = Duration.ofDays(7);

  /** Default EMA weight of a new point: {@value}. */
  public static final double DEFAULT_EMA_ALPHA = 0.1;

  public MonitorSettings {
    positive(publishInterval, "RUNSTREAM_SUMMARY_INTERVAL_MS");
    positive(livenessCheckInterval, "RUNSTREAM_LIVENESS_CHECK_MS");
    positive(unresponsiveAfter, "RUNSTREAM_UNRESPONSIVE_AFTER_MS");
    positive(stalledAfter, "RUNSTREAM_STALLED_AFTER_MS");
    positive(crashedAfter, "RUNSTREAM_CRASHED_AFTER_MS");
    positive(stateRetention, "RUNSTREAM_STATE_RETENTION_MS");
    Objects.requireNonNull(detectors, "detectors");
    Objects.requireNonNull(team, "team");
    try {
      team = team.map(Topics::requireTeam);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("RUNSTREAM_TEAM: " + e.getMessage(), e);
    }
    if (crashedAfter.compareTo(unresponsiveAfter) <= 0) {
      throw new IllegalArgumentException(
          "RUNSTREAM_CRASHED_AFTER_MS ("
              + crashedAfter.toMillis()
              + ") must be longer than RUNSTREAM_UNRESPONSIVE_AFTER_MS ("
              + unresponsiveAfter.toMillis()
              + ")");
    }
    if (!(emaAlpha > 0 && emaAlpha <= 1)) {
      throw new IllegalArgumentException("RUNSTREAM_EMA_ALPHA must be in (0, 1]: " + emaAlpha);
    }
  }

  /** All defaults. */
  public static MonitorSettings defaults() {
    return builder().build();
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from these settings. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.publishInterval = publishInterval;
    b.livenessCheckInterval = livenessCheckInterval;
    b.unresponsiveAfter = unresponsiveAfter;
    b.stalledAfter = stalledAfter;
    b.crashedAfter = crashedAfter;
    b.stateRetention = stateRetention;
    b.emaAlpha = emaAlpha;
    b.detectors = detectors;
    b.team = team;
    return b;
  }

  private static void positive(Duration d, String setting) {
    Objects.requireNonNull(d, setting);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(setting + " must be positive: " + d.toMillis());
    }
  }

  /** Builds {@link MonitorSettings}; not thread-safe. Validation happens in {@link #build()}. */
  public static final class Builder {
    private Duration publishInterval = DEFAULT_PUBLISH_INTERVAL;
    private Duration livenessCheckInterval = DEFAULT_LIVENESS_CHECK_INTERVAL;
    private Duration unresponsiveAfter = DEFAULT_UNRESPONSIVE_AFTER;
    private Duration stalledAfter = DEFAULT_STALLED_AFTER;
    private Duration crashedAfter = DEFAULT_CRASHED_AFTER;
    private Duration stateRetention = DEFAULT_STATE_RETENTION;
    private double emaAlpha = DEFAULT_EMA_ALPHA;
    private DetectorRules detectors = DetectorRules.defaults();
    private Optional<String> team = Optional.empty();

    private Builder() {}

    /** {@code RUNSTREAM_TEAM}: see {@link MonitorSettings#team()}; default unset. */
    public Builder team(String team) {
      this.team = Optional.of(Objects.requireNonNull(team, "team"));
      return this;
    }

    /** {@code RUNSTREAM_SUMMARY_INTERVAL_MS}; default 1 s. */
    public Builder publishInterval(Duration interval) {
      this.publishInterval = interval;
      return this;
    }

    /** {@code RUNSTREAM_LIVENESS_CHECK_MS}; default 5 s. */
    public Builder livenessCheckInterval(Duration interval) {
      this.livenessCheckInterval = interval;
      return this;
    }

    /** {@code RUNSTREAM_UNRESPONSIVE_AFTER_MS}; default 2 min. */
    public Builder unresponsiveAfter(Duration after) {
      this.unresponsiveAfter = after;
      return this;
    }

    /** {@code RUNSTREAM_STALLED_AFTER_MS}; default 10 min. */
    public Builder stalledAfter(Duration after) {
      this.stalledAfter = after;
      return this;
    }

    /** {@code RUNSTREAM_CRASHED_AFTER_MS}; default 10 min. */
    public Builder crashedAfter(Duration after) {
      this.crashedAfter = after;
      return this;
    }

    /** {@code RUNSTREAM_STATE_RETENTION_MS}; default 7 days. */
    public Builder stateRetention(Duration retention) {
      this.stateRetention = retention;
      return this;
    }

    /** {@code RUNSTREAM_EMA_ALPHA}; default {@value MonitorSettings#DEFAULT_EMA_ALPHA}. */
    public Builder emaAlpha(double alpha) {
      this.emaAlpha = alpha;
      return this;
    }

    /** {@code RUNSTREAM_DETECTORS_FILE}; default {@link DetectorRules#defaults()}. */
    public Builder detectors(DetectorRules rules) {
      this.detectors = rules;
      return this;
    }

    /**
     * The settings.
     *
     * @throws IllegalArgumentException naming the setting that is wrong
     */
    public MonitorSettings build() {
      return new MonitorSettings(
          publishInterval,
          livenessCheckInterval,
          unresponsiveAfter,
          stalledAfter,
          crashedAfter,
          stateRetention,
          emaAlpha,
          detectors,
          team);
    }
  }
}
